//! Instagram's two routes: public content through the campaign's own account (hashtag
//! search, Business Discovery: [`public`]) and each business's own account with its
//! consent, insights included ([`own`]).

pub mod own;
mod public;

pub use public::*;
