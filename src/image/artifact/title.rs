//! The one check of a file name taken from an artifact (its title): a plain
//! name in the target directory, never a path out of it.

use crate::error::{Error, ErrorKind, Result};

/// The longest name most file systems allow (`NAME_MAX`).
const MAX_NAME: usize = 255;

/// Checks that `title` names a file directly inside a directory: not
/// empty, not `.` or `..`, no `/` or `\` (so no absolute or relative
/// path), no NUL or other control character, at most 255 bytes.
pub(super) fn check_title(title: &str) -> Result<()> {
    let why = if title.is_empty() {
        Some("it is empty")
    } else if title == "." || title == ".." {
        Some("it names a directory")
    } else if title.contains(['/', '\\']) {
        Some("it is a path, not a file name")
    } else if title.chars().any(char::is_control) {
        Some("it holds a control character")
    } else if title.len() > MAX_NAME {
        Some("it is longer than 255 bytes")
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("refusing the artifact file name {title:?}: {why}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_paths_do_not() {
        for ok in ["a.txt", "..a", "a..b", "...", ".hidden", "ünïcode", "x y"] {
            assert!(check_title(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(256);
        for bad in [
            "",
            ".",
            "..",
            "/etc/passwd",
            "../x",
            "a/b",
            "a\\b",
            "..\\x",
            "C:\\x",
            "a\0b",
            "a\nb",
            &long,
        ] {
            let e = check_title(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
    }
}
