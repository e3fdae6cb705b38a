//! The credential type: its secrets are wiped on drop and never printed.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// A credential for one registry. Its secrets are wiped from memory when it
/// is dropped, and `Debug` never prints them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Credential {
    /// A user name and password (or personal access token).
    Basic {
        /// The user name.
        username: String,
        /// The password; never printed.
        password: String,
    },
    /// An `OAuth2` refresh token (docker's `identitytoken`).
    IdentityToken {
        /// The refresh token; never printed.
        token: String,
    },
}

impl Zeroize for Credential {
    fn zeroize(&mut self) {
        match self {
            Credential::Basic { username, password } => {
                username.zeroize();
                password.zeroize();
            }
            Credential::IdentityToken { token } => token.zeroize(),
        }
    }
}

impl Drop for Credential {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Credential {}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &format_args!("<redacted>"))
                .finish(),
            Credential::IdentityToken { .. } => f
                .debug_struct("IdentityToken")
                .field("token", &format_args!("<redacted>"))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(username: &str, password: &str) -> Credential {
        Credential::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let b = format!("{:?}", basic("bob", "hunter2"));
        assert_eq!(b, r#"Basic { username: "bob", password: <redacted> }"#);
        let t = format!(
            "{:#?}",
            Credential::IdentityToken {
                token: "s3cret-token".into()
            }
        );
        assert!(!t.contains("s3cret"), "{t}");
        assert!(t.contains("<redacted>"));
    }

    #[test]
    fn credentials_are_wiped_when_dropped() {
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Credential>();
        let mut credential = basic("user", "SECRET");
        credential.zeroize();
        assert_eq!(credential, basic("", ""));
        let mut credential = Credential::IdentityToken {
            token: "SECRET".into(),
        };
        credential.zeroize();
        assert_eq!(
            credential,
            Credential::IdentityToken {
                token: String::new()
            }
        );
    }
}
