//! Authentication: challenges, credentials and bearer tokens.

pub mod challenge;
pub mod credentials;
pub mod token;
