//! Whole images on top of the registry client: platform choice and the
//! image config. (Pull, push, copy and layouts build on this.)

mod config;
mod platform;

pub use self::config::ImageConfig;
pub use self::platform::Platform;
