//! Instagram's two routes: public content through the campaign's own account (hashtag
//! search, Business Discovery: [`public`]) and each business's own account with its
//! consent, insights included ([`own`]).

pub mod own;
mod public;

pub use public::*;

use crate::platform::{TrackedAccount, TrackedPost};

/// The accounts `posts` belong to, each once, and the oldest post's time (if any has
/// one): Instagram
/// refreshes media by reading their accounts' listings back that far (only the owner
/// may read a media id on the public route, §1.2).
fn accounts_of(posts: &[TrackedPost]) -> (Vec<TrackedAccount>, Option<jiff::Timestamp>) {
    let mut handles: Vec<String> = posts
        .iter()
        .filter_map(|p| p.account.as_ref()?.handle.clone())
        .collect();
    handles.sort();
    handles.dedup();
    let oldest = posts.iter().filter_map(|p| p.posted_at).min();
    let accounts = handles
        .into_iter()
        .map(|handle| TrackedAccount {
            handle,
            platform_user_id: None,
        })
        .collect();
    (accounts, oldest)
}
