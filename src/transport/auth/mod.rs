//! Authentication: challenges, credentials, bearer tokens (with their
//! `OAuth2` grants), and the layer
//! that applies them to every registry request.

pub mod challenge;
pub mod credentials;
mod layer;
pub mod oauth2;
mod remembered;
mod scheme_race;
pub mod token;
pub mod token_cache;
