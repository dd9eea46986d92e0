//! jempol: tracks the engagement that a hashtag campaign brings to small businesses
//! (UMKM) on Instagram, Facebook, TikTok and YouTube.
//!
//! Data flows one way: config → scheduler → platform clients (through quota) → store →
//! views and reports. The simulator speaks the platforms' wire formats beside the clients.

pub mod cli;
pub mod config;
pub mod demo;
pub mod hashtag;
pub mod platform;
pub mod quota;
pub mod registry;
pub mod report;
pub mod scheduler;
pub mod sim;
pub mod store;
pub mod time;
