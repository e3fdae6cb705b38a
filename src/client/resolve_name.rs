//! Short names (`busybox`, `team/app:1`) resolved as containers/image's
//! `shortnames.Resolve` and podman's pull resolve them when the client
//! follows a registries.conf; docker's rule (`docker.io/library/...`)
//! when it follows none.

use std::path::PathBuf;

use super::Client;
use crate::error::{ErrorKind, Result};
use crate::log::{self, LogLevel};
use crate::reference::{Reference, shown};
use crate::registries_conf::{Rationale, ShortNameCandidates, is_qualified};

/// What a name is resolved for, which decides what several candidates
/// (several unqualified-search registries) mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameUse {
    /// A pull: the candidates are tried in order and the first whose
    /// manifest exists wins (a failing candidate, a blocked one included,
    /// is skipped), as podman pulls.
    Pull,
    /// Anything that is not a pull (a push, a tag listing, a delete): the
    /// name must resolve to one candidate (fully qualified, an alias, or
    /// one unqualified-search registry); several are an error rather than
    /// a guess.
    Single,
}

/// What a name resolved to, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedName {
    /// The reference to use, with the name's tag (`latest` when it had
    /// neither tag nor digest) or digest.
    pub reference: Reference,
    /// Where it came from.
    pub rationale: Rationale,
    /// The file that decided (the alias's, or the unqualified-search
    /// registries'), when one did.
    pub origin: Option<PathBuf>,
    /// The candidates tried before it (in a pull), each with its failure.
    pub skipped: Vec<(Reference, String)>,
}

impl Client {
    /// Resolves `name` to the reference to use. Without a registries.conf
    /// (see [`crate::ClientOptions::registries_conf`]) that is docker's
    /// rule: `busybox` is `docker.io/library/busybox:latest`. With one, a
    /// fully qualified name is itself; a short name's alias (the alias
    /// cache, then registries.conf's `[aliases]`) is its only candidate;
    /// otherwise each unqualified-search registry in order. Several
    /// candidates under `short-name-mode = "enforcing"` are an error
    /// (`INVALID_REFERENCE`, "ambiguous": ocireg cannot ask the user);
    /// under `permissive` or `disabled` a [`NameUse::Pull`] checks each
    /// candidate's manifest (HEAD, through its mirrors) and takes the first
    /// that exists, and a [`NameUse::Single`] fails. When no candidate
    /// exists, the error is the last candidate's, its message listing every
    /// candidate's failure. The choice is logged at debug level.
    pub async fn resolve_name(&self, name: &str, name_use: NameUse) -> Result<ResolvedName> {
        let Some(conf) = self.transport.registries_conf() else {
            return Ok(ResolvedName {
                reference: Reference::parse(name)?,
                rationale: if is_qualified(name) {
                    Rationale::None
                } else {
                    Rationale::DockerDefault
                },
                origin: None,
                skipped: Vec::new(),
            });
        };
        let ShortNameCandidates {
            candidates,
            rationale,
            origin,
            ..
        } = conf.short_name_candidates(name, false)?;
        let from = origin
            .as_deref()
            .map_or_else(String::new, |p| format!(" in {}", p.display()));
        let resolved = |reference: Reference, skipped| {
            if rationale != Rationale::None {
                log::log(LogLevel::Debug, || {
                    format!(
                        "short name {}: resolved to {reference} ({}{from})",
                        shown(name),
                        rationale.as_str()
                    )
                });
            }
            ResolvedName {
                reference,
                rationale,
                origin: origin.clone(),
                skipped,
            }
        };
        if let [only] = candidates.as_slice() {
            return Ok(resolved(only.clone(), Vec::new()));
        }
        let listed = candidates
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if name_use == NameUse::Single {
            return Err(crate::Error::new(
                ErrorKind::InvalidReference,
                format!(
                    "short name {} has {} candidates ({listed}: the unqualified-search \
                     registries{from}) and only a pull tries them in turn: use a fully \
                     qualified name or an alias",
                    shown(name),
                    candidates.len()
                ),
            ));
        }
        let mut skipped: Vec<(Reference, String)> = Vec::new();
        let count = candidates.len();
        for (i, candidate) in candidates.into_iter().enumerate() {
            match self.head_manifest(&candidate).await {
                Ok(_) => return Ok(resolved(candidate, skipped)),
                Err(e)
                    if i + 1 == count
                        || matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Aborted) =>
                {
                    let before = skipped
                        .iter()
                        .map(|(r, m)| format!("[{r}: {m}] "))
                        .collect::<String>();
                    return Err(e.context(format!(
                        "short name {}: no candidate could be pulled ({listed}{from}): {before}{candidate}",
                        shown(name)
                    )));
                }
                Err(e) => {
                    log::log(LogLevel::Debug, || {
                        format!(
                            "short name {}: candidate {candidate} failed: {}",
                            shown(name),
                            e.message()
                        )
                    });
                    skipped.push((candidate, e.message().to_string()));
                }
            }
        }
        // `short_name_candidates` gives at least one candidate.
        Err(crate::Error::new(
            ErrorKind::Internal,
            format!("short name {}: no candidate", shown(name)),
        ))
    }
}
