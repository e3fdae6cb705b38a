//! The `Link` header of paginated listings (`Retry-After` is parsed with the
//! other dates, in `dates.rs`).

use std::borrow::Cow;

use reqwest::Url;

use crate::error::{Error, ErrorKind, Result};

/// The `rel="next"` target of the given `Link` header values, resolved
/// against `base` (the URL of the request). `Ok(None)` when there is none.
///
/// Each value may hold several comma-separated links (RFC 8288), and the
/// first link whose relation types include `next` (case-insensitively,
/// quoted or not, alone or in a list such as `rel="prev next"`) wins.
/// Commas and spaces inside `<...>` belong to the target. Relative targets
/// are resolved against `base`; absolute ones are kept.
///
/// Fails with [`ErrorKind::Protocol`] when any value is malformed, or when
/// the next target does not resolve to an `http` or `https` URL.
pub fn next_link(header_values: &[&str], base: &Url) -> Result<Option<Url>> {
    let mut next: Option<&str> = None;
    for value in header_values {
        for_each_link(value, |target, is_next| {
            if is_next && next.is_none() {
                next = Some(target);
            }
        })?;
    }
    let Some(target) = next else {
        return Ok(None);
    };
    let url = base.join(target).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!(
                "the Link header's next target {} is not a valid URL: {e}",
                shown(target)
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "the Link header's next target {} is not an http(s) URL",
                shown(target)
            ),
        ));
    }
    Ok(Some(url))
}

/// Calls `f(target, is_next)` for every link-value of one `Link` header
/// value, in order, after checking the whole value parses.
fn for_each_link<'a>(value: &'a str, mut f: impl FnMut(&'a str, bool)) -> Result<()> {
    let malformed = |why: &str| {
        Error::new(
            ErrorKind::Protocol,
            format!("malformed Link header {}: {why}", shown(value)),
        )
    };
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        // Empty list elements (`a, , b`) are allowed by the list syntax.
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let Some(inner) = rest.strip_prefix('<') else {
            return Err(malformed("a link must start with '<'"));
        };
        let Some((target, after)) = inner.split_once('>') else {
            return Err(malformed("a '<' is not closed by '>'"));
        };
        rest = after;
        // Only the first `rel` parameter counts (RFC 8288, section 3.3).
        let mut rel: Option<bool> = None;
        while let Some(param) = trim_ows(rest).strip_prefix(';') {
            rest = trim_ows(param);
            let (name, after_name) = split_run(rest, is_tchar);
            if name.is_empty() {
                // Tolerate an empty parameter (`<x>;` or `<x>; ; rel=next`).
                if rest.is_empty() || rest.starts_with([';', ',']) {
                    continue;
                }
                return Err(malformed("a parameter has no name"));
            }
            rest = trim_ows(after_name);
            let mut param_value: Option<Cow<'_, str>> = None;
            if let Some(after_eq) = rest.strip_prefix('=') {
                rest = trim_ows(after_eq);
                if let Some(quoted) = rest.strip_prefix('"') {
                    let (text, after_quote) = unquote(quoted)
                        .ok_or_else(|| malformed("a quoted string is not closed"))?;
                    param_value = Some(Cow::Owned(text));
                    rest = after_quote;
                } else {
                    // A token; be lenient and take any visible ASCII but
                    // the delimiters, so `rel=http://x/y` still parses.
                    let (token, after_token) = split_run(rest, |b| {
                        b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"')
                    });
                    if token.is_empty() {
                        return Err(malformed("a parameter has an empty value"));
                    }
                    param_value = Some(Cow::Borrowed(token));
                    rest = after_token;
                }
            }
            if rel.is_none() && name.eq_ignore_ascii_case("rel") {
                let is_next = param_value.is_some_and(|v| {
                    v.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("next"))
                });
                rel = Some(is_next);
            }
        }
        rest = trim_ows(rest);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return Err(malformed("unexpected text after a link"));
        }
        links.push((target.trim_matches([' ', '\t']), rel == Some(true)));
    }
    for (target, is_next) in links {
        f(target, is_next);
    }
    Ok(())
}

/// The content of a quoted string whose opening `"` is already consumed,
/// with backslash escapes resolved, and the text after the closing `"`.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut text = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((text, s.get(i + 1..).unwrap_or_default())),
            '\\' => text.push(chars.next()?.1),
            c => text.push(c),
        }
    }
    None
}

/// Splits `s` after its longest prefix of ASCII bytes matching `pred`.
fn split_run(s: &str, pred: impl Fn(u8) -> bool) -> (&str, &str) {
    let len = s.bytes().take_while(|&b| b.is_ascii() && pred(b)).count();
    // `len` counts ASCII bytes only, so it is on a char boundary.
    s.split_at_checked(len).unwrap_or((s, ""))
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `s` without leading optional whitespace (spaces and tabs).
fn trim_ows(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// Header text quoted for an error message, cut short when very long.
fn shown(s: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{head:?}...")
    } else {
        format!("{head:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    use crate::test_inputs::Inputs;
    use crate::transport::dates::{MAX_RETRY_AFTER, parse_retry_after};

    fn base() -> Url {
        Url::parse("https://registry.example:5000/v2/_catalog?n=2").unwrap()
    }

    #[test]
    fn finds_the_next_link() {
        let cases: &[(&[&str], Option<&str>)] = &[
            // What distribution sends.
            (
                &[r#"</v2/_catalog?last=b&n=2>; rel="next""#],
                Some("https://registry.example:5000/v2/_catalog?last=b&n=2"),
            ),
            // Unquoted, upper-case, extra whitespace and tabs.
            (
                &["  </v2/x?last=b> ;\trel = NEXT  "],
                Some("https://registry.example:5000/v2/x?last=b"),
            ),
            (&["</a>;rel=next"], Some("https://registry.example:5000/a")),
            // Relation lists.
            (
                &[r#"</a>; rel="prev next""#],
                Some("https://registry.example:5000/a"),
            ),
            (
                &[r#"</a>; rel="  next   last ""#],
                Some("https://registry.example:5000/a"),
            ),
            // Several links in one value; rel not the first parameter.
            (
                &[r#"</p>; rel="prev", </n>; type="application/json"; rel="next""#],
                Some("https://registry.example:5000/n"),
            ),
            // Several values.
            (
                &[r#"</p>; rel="prev""#, r#"</n>; rel="next""#],
                Some("https://registry.example:5000/n"),
            ),
            // The first next link wins.
            (
                &[r#"</1>; rel="next", </2>; rel="next""#, r#"</3>; rel=next"#],
                Some("https://registry.example:5000/1"),
            ),
            // Relative forms.
            (
                &[r#"<?last=b>; rel="next""#],
                Some("https://registry.example:5000/v2/_catalog?last=b"),
            ),
            (
                &[r#"<tags/list?last=x>; rel="next""#],
                Some("https://registry.example:5000/v2/tags/list?last=x"),
            ),
            (
                &[r#"<//cdn.example/p?x=1>; rel="next""#],
                Some("https://cdn.example/p?x=1"),
            ),
            // Absolute targets are kept.
            (
                &[r#"<http://other.example/v2/_catalog?last=z>; rel="next""#],
                Some("http://other.example/v2/_catalog?last=z"),
            ),
            // Commas, semicolons and spaces inside the target.
            (
                &[r#"</v2/x?last=a,b;c>; rel="next""#],
                Some("https://registry.example:5000/v2/x?last=a,b;c"),
            ),
            (
                &[r#"</q?op={push pull}>; rel="next""#],
                Some("https://registry.example:5000/q?op={push%20pull}"),
            ),
            // Escapes and delimiters inside quoted parameters.
            (
                &[r#"</a>; title="a, \"b\"; c"; rel="next""#],
                Some("https://registry.example:5000/a"),
            ),
            (
                &[r#"</a>; rel="n\ext""#],
                Some("https://registry.example:5000/a"),
            ),
            // Only the first rel parameter counts.
            (&[r#"</a>; rel="prev"; rel="next""#], None),
            (
                &[r#"</a>; rel=prev; rel=next, </b>; rel=next"#],
                Some("https://registry.example:5000/b"),
            ),
            // Not next.
            (&[r#"</a>; rel="next-page""#], None),
            (&[r#"</a>; rel="nextpage""#], None),
            (&[r#"</a>; rev="next""#], None),
            (&[r#"</a>; rel"#], None),
            (&["</a>"], None),
            (&[r#"</a>; rel="http://example.com/next""#], None),
            (&["</a>; rel=http://example.com/rel"], None),
            (&[r#"</a>; rel*=UTF-8'de'next"#], None),
            // Empty values, empty list elements, empty parameters.
            (&[], None),
            (&[""], None),
            (&["  ,  , "], None),
            (
                &[r#", </a>; rel="next" ,"#],
                Some("https://registry.example:5000/a"),
            ),
            (
                &[r#"</a>;; rel="next";"#],
                Some("https://registry.example:5000/a"),
            ),
            // Non-ASCII inside quotes and the target is carried through.
            (
                &["</caf\u{e9}>; title=\"\u{e9}\"; rel=next"],
                Some("https://registry.example:5000/caf%C3%A9"),
            ),
        ];
        for (values, want) in cases {
            let got = next_link(values, &base()).unwrap_or_else(|e| panic!("{values:?}: {e}"));
            assert_eq!(got.as_ref().map(Url::as_str), *want, "{values:?}");
        }
    }

    #[test]
    fn rejects_malformed_links() {
        let cases: &[&[&str]] = &[
            &[r#"/v2/_catalog?last=b; rel="next""#],
            &[r#"</v2/_catalog?last=b; rel="next""#],
            &[r#"</a> rel="next""#],
            &[r#"</a>; rel="next"#],
            &[r#"</a>; rel="next\"#],
            &[r#"</a>; rel="#],
            &[r#"</a>; rel=; x=y"#],
            &[r#"</a>; "rel"=next"#],
            &[r#"</a>; rel="next" junk"#],
            &[r#"</a>; rel=next"junk""#],
            &["</a>; rel=n\u{e9}xt"],
            &["</a>; r\u{e9}l=next"],
            // A later malformed value fails the whole header.
            &[r#"</a>; rel="next""#, "garbage"],
            // The next target must be a usable http(s) URL.
            &[r#"<http://[::1>; rel="next""#],
            &[r#"<file:///etc/passwd>; rel="next""#],
            &[r#"<javascript:alert(1)>; rel="next""#],
        ];
        for values in cases {
            let e = next_link(values, &base()).expect_err(&format!("{values:?}"));
            assert_eq!(e.kind(), ErrorKind::Protocol, "{values:?}: {e}");
        }
    }

    #[test]
    fn never_panics_on_random_input() {
        const ALPHABET: &[u8] = b"<>;,=\" \t\\/?:rel=next0123456789 GMTSunNov,-:\xc3\xa9\xff";
        const SEEDS: &[&str] = &[
            r#"</v2/_catalog?last=b&n=2>; rel="next""#,
            r#"</p>; rel="prev", </n>; title="a,\"b"; rel=next"#,
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "18446744073709551616",
        ];
        let mut inputs = Inputs::new(0x2545_f491_4f6c_dd1d, ALPHABET);
        let now = SystemTime::now();
        let (mut links, mut delays) = (0, 0);
        for i in 0..5_000 {
            let bytes = if i % 2 == 0 {
                inputs.mutated(SEEDS)
            } else {
                let len = inputs.below(64);
                inputs.random(len)
            };
            let input = String::from_utf8_lossy(&bytes);
            if let Ok(Some(url)) = next_link(&[&input], &base()) {
                assert!(matches!(url.scheme(), "http" | "https"), "{input:?}");
                links += 1;
            }
            if let Some(delay) = parse_retry_after(&input, now) {
                assert!(delay <= MAX_RETRY_AFTER, "{input:?}");
                delays += 1;
            }
        }
        // The mutated seeds keep reaching the success paths too.
        assert!(links > 50 && delays > 20, "{links} links, {delays} delays");
    }
}
