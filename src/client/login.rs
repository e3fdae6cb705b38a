//! `login` and `logout` the way docker and podman do: checking a
//! credential against the registry, then keeping it in an auth file or a
//! credential helper, and erasing it again.

use std::time::Duration;

use reqwest::Method;

use super::Client;
use crate::credential::Credential;
use crate::error::{Error, ErrorKind, Result};
use crate::registry::api_host;
use crate::transport::auth::credentials::{
    LoginDestination, LoginLocation, erase_login, store_login,
};
use crate::transport::request::{Request, Target};

impl Client {
    /// Validates the configured credentials for `registry`, like `docker
    /// login`: a fresh ping, then, when the registry asks for
    /// authentication, `GET /v2/` with them (through a token request for
    /// token auth). `UNAUTHORIZED` when they are missing or refused.
    pub async fn check_credentials(&self, registry: &str) -> Result<()> {
        let registry = api_host(registry);
        self.transport.ping(registry).await?;
        if !self.transport.requires_auth(registry) {
            return Ok(());
        }
        if !self.transport.credential_configured(registry).await? {
            return Err(Error::new(
                ErrorKind::Unauthorized,
                format!(
                    "{registry} requires authentication and no credentials are configured for it"
                ),
            ));
        }
        let request = Request::new(Method::GET, Target::Path("/v2/".into()), Vec::new());
        self.transport
            .send(registry, request, "checking credentials")
            .await?;
        Ok(())
    }

    /// `login`: checks `username`/`password` against `registry` (as
    /// [`Client::check_credentials`] does, with a client of this client's
    /// options and these credentials), then stores them in `destination`:
    /// the file's `credHelpers` program for the registry or its
    /// `credsStore` (`docker-credential-NAME store`), else an `auths` entry.
    /// The file is changed under a lock and replaced atomically (mode 0600,
    /// new directories 0700); every other key and entry is kept. Returns
    /// where the credential went.
    ///
    /// A refused credential is `UNAUTHORIZED` and nothing is stored. Errors
    /// name the file or the helper, never the credential. This client's own
    /// lookups may have cached the registry's previous credential: make a
    /// new client to use the stored one.
    pub async fn login(
        &self,
        registry: &str,
        username: &str,
        password: &str,
        destination: &LoginDestination,
    ) -> Result<LoginLocation> {
        let mut options = self.options().clone();
        options.credentials = vec![(
            registry.to_string(),
            Credential::Basic {
                username: username.to_string(),
                password: password.to_string(),
            },
        )];
        Client::new(options)?.check_credentials(registry).await?;
        store_login(
            registry,
            username,
            password,
            destination,
            self.helper_timeout(),
        )
        .await
    }

    /// `logout`: erases the credential of `registry` from `destination`
    /// (every `auths` entry naming the registry, and its helper's entry);
    /// `NOT_FOUND` when there was none. With `all`, erases every `auths`
    /// entry of the file and every credential its `credsStore` lists
    /// (`registry` is then ignored). No request is sent to the registry.
    pub async fn logout(
        &self,
        registry: &str,
        destination: &LoginDestination,
        all: bool,
    ) -> Result<LoginLocation> {
        erase_login(registry, destination, all, self.helper_timeout()).await
    }

    /// How long a credential helper may run (zero in the options: no limit).
    fn helper_timeout(&self) -> Duration {
        crate::options::timeout_limit(self.options().credential_helper_timeout)
            .unwrap_or(Duration::MAX)
    }
}
