//! TikTok's two routes: the Research API (academic access, [`research`]) and the
//! Display API with each business's own consent ([`display`]).

pub mod display;
mod research;

pub use research::*;
