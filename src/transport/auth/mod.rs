//! Authentication: challenges, credentials, bearer tokens, and the layer
//! that applies them to every registry request.

pub mod challenge;
pub mod credentials;
mod layer;
pub mod token;
pub mod token_cache;
