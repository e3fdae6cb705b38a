//! `WWW-Authenticate` challenge parsing (RFC 7235), as registries send it.
//!
//! A header value may hold several challenges (`Bearer realm="a",service="b",
//! Basic realm="c"`), and a response may carry several header values. The
//! grammar is ambiguous at commas (they separate both parameters and
//! challenges), so the parser decides by what follows a comma: `name=` is a
//! parameter, a bare token is the next challenge's scheme.
//!
//! The parser is lenient: a missing comma between parameters is tolerated,
//! unquoted values may hold any character but whitespace, commas and quotes
//! (so `realm=https://auth.example/token` works), and anything malformed is
//! skipped up to the next comma. Token68 credentials (`Negotiate abc==`) are
//! skipped; the scheme itself is kept.

/// One authentication challenge: a scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme, lower-cased: `basic` or `bearer` (others are kept too).
    pub scheme: String,
    /// The parameters in order, names lower-cased, values unquoted and unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of parameter `name` (case-insensitive), if present. When a
    /// parameter is repeated, the first one wins.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses every challenge in the given `WWW-Authenticate` header values.
/// Malformed parts are skipped; the result may be empty.
#[must_use]
pub fn parse_challenges(header_values: &[&str]) -> Vec<Challenge> {
    header_values
        .iter()
        .flat_map(|value| parse_header_value(value))
        .collect()
}

/// Parses the challenges of one header value.
fn parse_header_value(value: &str) -> Vec<Challenge> {
    let mut cur = Cursor::new(value);
    let mut challenges = Vec::new();
    loop {
        cur.skip_whitespace_and_commas();
        if cur.at_end() {
            return challenges;
        }
        let scheme = cur.token();
        if scheme.is_empty() || !cur.at_delimiter() {
            cur.skip_item();
            continue;
        }
        let params = parse_params(&mut cur);
        challenges.push(Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params,
        });
    }
}

/// Parses the parameters following a scheme, stopping before the next
/// challenge's scheme or at the end.
fn parse_params(cur: &mut Cursor<'_>) -> Vec<(String, String)> {
    let mut params = Vec::new();
    loop {
        let saw_comma = cur.skip_whitespace_and_commas();
        if cur.at_end() {
            return params;
        }
        let name_start = cur.pos;
        let name = cur.token();
        let delimited = cur.at_delimiter();
        cur.skip_whitespace();
        if !name.is_empty() && cur.peek() == Some(b'=') {
            cur.advance();
            cur.skip_whitespace();
            match param_value(cur) {
                Some(value) => params.push((name.to_ascii_lowercase(), value)),
                None => cur.skip_item(),
            }
        } else if saw_comma && !name.is_empty() && delimited {
            cur.pos = name_start;
            return params;
        } else {
            cur.skip_item();
        }
    }
}

/// A parameter value: a quoted string or a bare value. `None` when it is
/// missing or malformed (unterminated quote, token68 padding).
fn param_value(cur: &mut Cursor<'_>) -> Option<String> {
    match cur.peek() {
        Some(b'"') => cur.quoted_string(),
        Some(b'=') => None,
        _ => {
            let value = cur.bare_value();
            (!value.is_empty() && cur.at_delimiter()).then(|| value.to_string())
        }
    }
}

/// A position in one header value. All structural characters are ASCII, so
/// every position the cursor stops at is a `char` boundary.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor { text, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// True at the end, at whitespace or at a comma: where an item may end.
    fn at_delimiter(&self) -> bool {
        matches!(self.peek(), None | Some(b' ' | b'\t' | b','))
    }

    fn advance(&mut self) {
        self.pos += 1;
    }

    /// Consumes bytes while `pred` holds and returns them.
    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.advance();
        }
        &self.text[start..self.pos]
    }

    fn skip_whitespace(&mut self) {
        self.take_while(is_whitespace);
    }

    /// Skips whitespace and commas; true when at least one comma was skipped.
    fn skip_whitespace_and_commas(&mut self) -> bool {
        self.take_while(|b| is_whitespace(b) || b == b',')
            .contains(',')
    }

    /// An RFC 7230 token (possibly empty).
    fn token(&mut self) -> &'a str {
        self.take_while(is_tchar)
    }

    /// An unquoted value: everything up to whitespace, a comma or a quote.
    fn bare_value(&mut self) -> &'a str {
        self.take_while(|b| !is_whitespace(b) && b != b',' && b != b'"')
    }

    /// A quoted string starting at the opening quote, with `\x` escapes
    /// resolved. `None` (having consumed the rest) when unterminated.
    fn quoted_string(&mut self) -> Option<String> {
        let rest = &self.text[self.pos + 1..];
        let mut value = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += 1 + i + 1;
                    return Some(value);
                }
                '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
                _ => value.push(c),
            }
        }
        self.pos = self.text.len();
        None
    }

    /// Skips a malformed item up to (not past) the next comma outside quotes.
    fn skip_item(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b',' => return,
                b'"' => {
                    self.quoted_string();
                }
                _ => self.advance(),
            }
        }
    }
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// RFC 7230 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(scheme: &str, params: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.to_string(),
            params: params
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn parse_one(value: &str) -> Vec<Challenge> {
        parse_challenges(&[value])
    }

    #[test]
    fn docker_hub_bearer() {
        let got = parse_one(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        );
        assert_eq!(
            got,
            vec![challenge(
                "bearer",
                &[
                    ("realm", "https://auth.docker.io/token"),
                    ("service", "registry.docker.io"),
                    ("scope", "repository:library/alpine:pull"),
                ]
            )]
        );
    }

    #[test]
    fn basic_realm() {
        assert_eq!(
            parse_one(r#"Basic realm="Registry Realm""#),
            vec![challenge("basic", &[("realm", "Registry Realm")])]
        );
    }

    #[test]
    fn several_challenges_in_one_value() {
        let got = parse_one(r#"Bearer realm="a",service="b", Basic realm="c""#);
        assert_eq!(
            got,
            vec![
                challenge("bearer", &[("realm", "a"), ("service", "b")]),
                challenge("basic", &[("realm", "c")]),
            ]
        );
    }

    #[test]
    fn several_header_values() {
        let got = parse_challenges(&[r#"Basic realm="x""#, r#"Bearer realm="y",service="z""#]);
        assert_eq!(
            got,
            vec![
                challenge("basic", &[("realm", "x")]),
                challenge("bearer", &[("realm", "y"), ("service", "z")]),
            ]
        );
    }

    #[test]
    fn commas_inside_quotes() {
        let got = parse_one(
            r#"Bearer realm="https://t.example/token",scope="repository:a:pull,push repository:b:pull",error="insufficient_scope""#,
        );
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].param("scope"),
            Some("repository:a:pull,push repository:b:pull")
        );
        assert_eq!(got[0].param("error"), Some("insufficient_scope"));
    }

    #[test]
    fn escaped_quotes_and_backslashes() {
        let got = parse_one(r#"Basic realm="say \"hi\", a\\b \z""#);
        assert_eq!(
            got,
            vec![challenge("basic", &[("realm", r#"say "hi", a\b z"#)])]
        );
    }

    #[test]
    fn mixed_case_scheme_and_names() {
        let got = parse_one(r#"BEARER Realm="R",SERVICE="S""#);
        assert_eq!(
            got,
            vec![challenge("bearer", &[("realm", "R"), ("service", "S")])]
        );
        assert_eq!(got[0].param("ReAlM"), Some("R"));
        assert_eq!(got[0].param("missing"), None);
    }

    #[test]
    fn unquoted_values() {
        let got = parse_one("Bearer realm=https://auth.example/token?x=1,service=reg.example");
        assert_eq!(
            got,
            vec![challenge(
                "bearer",
                &[
                    ("realm", "https://auth.example/token?x=1"),
                    ("service", "reg.example")
                ]
            )]
        );
    }

    #[test]
    fn extra_whitespace() {
        let got = parse_one("  Bearer   realm = \"a\" ,\t service=\"b\" ,  ,  Basic  ");
        assert_eq!(
            got,
            vec![
                challenge("bearer", &[("realm", "a"), ("service", "b")]),
                challenge("basic", &[]),
            ]
        );
    }

    #[test]
    fn missing_comma_between_params_is_tolerated() {
        let got = parse_one(r#"Bearer realm="a" service="b""#);
        assert_eq!(
            got,
            vec![challenge("bearer", &[("realm", "a"), ("service", "b")])]
        );
    }

    #[test]
    fn missing_values_are_skipped() {
        let got = parse_one(r#"Bearer realm=,service="b",scope="#);
        assert_eq!(got, vec![challenge("bearer", &[("service", "b")])]);
        let got = parse_one(r#"Bearer realm="",service="b""#);
        assert_eq!(
            got,
            vec![challenge("bearer", &[("realm", ""), ("service", "b")])]
        );
    }

    #[test]
    fn unterminated_quote_drops_the_param() {
        let got = parse_one(r#"Bearer service="b",realm="oops"#);
        assert_eq!(got, vec![challenge("bearer", &[("service", "b")])]);
    }

    #[test]
    fn token68_is_skipped_but_scheme_kept() {
        let got = parse_one(r#"Negotiate abc==, Bearer realm="r""#);
        assert_eq!(
            got,
            vec![
                challenge("negotiate", &[]),
                challenge("bearer", &[("realm", "r")])
            ]
        );
        let got = parse_one(r#"Negotiate YWJj, Basic realm="r""#);
        assert_eq!(
            got,
            vec![
                challenge("negotiate", &[]),
                challenge("basic", &[("realm", "r")])
            ]
        );
    }

    #[test]
    fn scheme_without_params_then_another() {
        let got = parse_one(r#"Basic, Bearer realm="r""#);
        assert_eq!(
            got,
            vec![
                challenge("basic", &[]),
                challenge("bearer", &[("realm", "r")])
            ]
        );
    }

    #[test]
    fn repeated_param_first_wins() {
        let got = parse_one(r#"Bearer realm="a",realm="b""#);
        assert_eq!(got[0].param("realm"), Some("a"));
        assert_eq!(got[0].params.len(), 2);
    }

    #[test]
    fn non_ascii_values_survive() {
        let got = parse_one("Basic realm=\"caf\u{e9} \u{1f600}\"");
        assert_eq!(
            got,
            vec![challenge("basic", &[("realm", "caf\u{e9} \u{1f600}")])]
        );
    }

    #[test]
    fn empty_and_garbage_input() {
        assert!(parse_challenges(&[]).is_empty());
        assert!(parse_one("").is_empty());
        assert!(parse_one("   ,, ,").is_empty());
        assert!(parse_one("\"just a quote").is_empty());
        assert!(parse_one("=").is_empty());
        assert!(parse_one("/// === \"\" ,,").is_empty());
        let got = parse_one(r#"@@@, Bearer realm="r""#);
        assert_eq!(got, vec![challenge("bearer", &[("realm", "r")])]);
    }

    #[test]
    fn never_panics_on_prefixes_of_tricky_input() {
        let tricky = "Bearer realm=\"a\\\"b,c\" , x=y z, Basic \u{e9}=\"\\";
        for end in 0..=tricky.len() {
            if tricky.is_char_boundary(end) {
                let _ = parse_one(&tricky[..end]);
            }
        }
    }
}
