//! Parsers for the response headers the protocol depends on: `Link`
//! pagination and `Retry-After`.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Url;

use crate::error::{Error, ErrorKind, Result};

/// The longest delay [`parse_retry_after`] returns; larger requests are cut
/// to it, so that adding the delay to a clock cannot overflow. Retry
/// policies apply their own, smaller limits on top.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

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

/// The delay a `Retry-After` value asks for: delta-seconds or an HTTP-date
/// (relative to `now`; a date in the past is zero). `None` when malformed.
///
/// All three HTTP-date forms of RFC 9110 are accepted: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`, two-digit years 70-99 are 19xx and
/// 00-69 are 20xx) and asctime (`Sun Nov  6 08:49:37 1994`) forms. Delays
/// above [`MAX_RETRY_AFTER`] are cut to it.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.bytes().fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        });
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let unix = parse_http_date(value)?;
    let when = if unix >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(unix.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(unix.unsigned_abs()))
    };
    let delay = match when {
        Some(when) => when.duration_since(now).unwrap_or(Duration::ZERO),
        // Only reachable on platforms with a narrow SystemTime.
        None if unix >= 0 => MAX_RETRY_AFTER,
        None => Duration::ZERO,
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

const SHORT_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the Unix epoch of an HTTP-date in any of its three forms.
/// The day name must be a valid one but is not checked against the date.
fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts = [""; 6];
    let mut count = 0;
    for part in s.split(' ') {
        *parts.get_mut(count)? = part;
        count += 1;
    }
    let short_day = |d: &str| SHORT_DAYS.contains(&d);
    let (year, month, day, time) = match *parts.get(..count)? {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [day_name, day, month, year, time, "GMT"]
            if day_name.strip_suffix(',').is_some_and(short_day) =>
        {
            (digits(year, 4)?, month, digits(day, 2)?, time)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [day_name, date, time, "GMT"]
            if day_name
                .strip_suffix(',')
                .is_some_and(|d| LONG_DAYS.contains(&d)) =>
        {
            let mut dmy = date.split('-');
            let (day, month, yy) = (dmy.next()?, dmy.next()?, dmy.next()?);
            if dmy.next().is_some() {
                return None;
            }
            let yy = digits(yy, 2)?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            (year, month, digits(day, 2)?, time)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [day_name, month, "", day, time, year] if short_day(day_name) => {
            (digits(year, 4)?, month, digits(day, 1)?, time)
        }
        // asctime with a two-digit day: Sun Nov 16 08:49:37 1994
        [day_name, month, day, time, year] if short_day(day_name) => {
            (digits(year, 4)?, month, digits(day, 2)?, time)
        }
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let month = u32::try_from(month).ok()?;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut hms = time.split(':');
    let (h, m, sec) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() {
        return None;
    }
    let (h, m, sec) = (digits(h, 2)?, digits(m, 2)?, digits(sec, 2)?);
    // 60 is a leap second.
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    Some(days * 86_400 + i64::from(h * 3600 + m * 60 + sec))
}

/// The value of `s` when it is exactly `len` ASCII digits.
fn digits(s: &str, len: usize) -> Option<u32> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The number of days in `month` (1-12) of `year`, Gregorian.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn at(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    /// 1994-11-06T08:49:37Z, the RFC's example date.
    const EXAMPLE: u64 = 784_111_777;

    #[test]
    fn retry_after_seconds() {
        let now = at(EXAMPLE);
        for (value, want) in [
            ("0", Some(0)),
            ("120", Some(120)),
            (" 7\t", Some(7)),
            ("007", Some(7)),
            ("86400", Some(86_400)),
            ("86401", Some(86_400)),
            ("18446744073709551615", Some(86_400)),
            ("99999999999999999999999999999999999999", Some(86_400)),
            ("", None),
            ("  ", None),
            ("-1", None),
            ("+5", None),
            ("1.5", None),
            ("1e3", None),
            ("5 s", None),
            ("0x10", None),
            ("\u{0661}", None),
        ] {
            let got = parse_retry_after(value, now).map(|d| d.as_secs());
            assert_eq!(got, want, "{value:?}");
        }
    }

    #[test]
    fn retry_after_dates() {
        let now = at(EXAMPLE);
        for (value, want) in [
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(0)),
            ("Sun, 06 Nov 1994 08:50:37 GMT", Some(60)),
            ("Sunday, 06-Nov-94 08:49:47 GMT", Some(10)),
            ("Sun Nov  6 08:49:57 1994", Some(20)),
            ("Sun Nov 06 08:49:57 1994", Some(20)),
            // The day name is not checked against the date.
            ("Mon, 06 Nov 1994 08:49:38 GMT", Some(1)),
            // Past dates are zero.
            ("Sat, 05 Nov 1994 08:49:37 GMT", Some(0)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(0)),
            ("Mon, 01 Jan 0001 00:00:00 GMT", Some(0)),
            // Far futures are capped.
            ("Fri, 31 Dec 9999 23:59:59 GMT", Some(86_400)),
            ("Sun, 06 Nov 1994 09:49:37 GMT", Some(3_600)),
            // Leap second.
            ("Sun, 06 Nov 1994 08:49:60 GMT", Some(23)),
            // Malformed.
            ("Sun, 6 Nov 1994 08:49:37 GMT", None),
            ("Sun, 06 Nov 94 08:49:37 GMT", None),
            ("Sun, 06 Nov 1994 08:49:37 UTC", None),
            ("Sun, 06 Nov 1994 08:49:37 gmt", None),
            ("Sun, 06 Nov 1994 08:49:37", None),
            ("Sun 06 Nov 1994 08:49:37 GMT", None),
            ("Sunday, 06 Nov 1994 08:49:37 GMT", None),
            ("Sun, 06 nov 1994 08:49:37 GMT", None),
            ("Sun, 06 Foo 1994 08:49:37 GMT", None),
            ("Sun,  06 Nov 1994 08:49:37 GMT", None),
            ("Sun, 06 Nov 1994 08:49:37 GMT extra", None),
            ("Sun, 06 Nov 1994 24:00:00 GMT", None),
            ("Sun, 06 Nov 1994 08:60:00 GMT", None),
            ("Sun, 06 Nov 1994 08:49:61 GMT", None),
            ("Sun, 06 Nov 1994 8:49:37 GMT", None),
            ("Sun, 06 Nov 1994 08:49 GMT", None),
            ("Sun, 06 Nov 1994 08:49:37:00 GMT", None),
            ("Sun, 00 Nov 1994 08:49:37 GMT", None),
            ("Sun, 31 Nov 1994 08:49:37 GMT", None),
            ("Sun, +6 Nov 1994 08:49:37 GMT", None),
            ("Sunday, 06-Nov-1994 08:49:37 GMT", None),
            ("Sunday, 06-Nov-94-1 08:49:37 GMT", None),
            ("Sun, 06-Nov-94 08:49:37 GMT", None),
            ("Sun Nov 6 08:49:37 1994", None),
            ("Sun Nov  16 08:49:37 1994", None),
            ("Sun Nov  6 08:49:37 94", None),
            ("Sun, 06 Nov 1994 08:49:37 GMT\u{e9}", None),
            ("\u{e9}\u{e9}\u{e9}, 06 Nov 1994 08:49:37 GMT", None),
        ] {
            let got = parse_retry_after(value, now).map(|d| d.as_secs());
            assert_eq!(got, want, "{value:?}");
        }
    }

    #[test]
    fn date_arithmetic() {
        // Leap years: 2000 is one, 1900 and 2100 are not.
        for (date, ok) in [
            ("Tue, 29 Feb 2000 00:00:00 GMT", true),
            ("Thu, 29 Feb 1900 00:00:00 GMT", false),
            ("Mon, 29 Feb 2100 00:00:00 GMT", false),
            ("Thu, 29 Feb 2024 00:00:00 GMT", true),
            ("Wed, 29 Feb 2023 00:00:00 GMT", false),
        ] {
            assert_eq!(parse_http_date(date).is_some(), ok, "{date}");
        }
        for (date, unix) in [
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE as i64),
            ("Tue, 29 Feb 2000 12:00:00 GMT", 951_825_600),
            ("Sat, 01 Jan 2000 00:00:00 GMT", 946_684_800),
            ("Tue, 19 Jan 2038 03:14:08 GMT", 2_147_483_648),
            ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
            ("Sunday, 06-Nov-94 08:49:37 GMT", EXAMPLE as i64),
            ("Saturday, 01-Jan-00 00:00:00 GMT", 946_684_800),
            ("Thursday, 01-Jan-70 00:00:00 GMT", 0),
            ("Sun Nov  6 08:49:37 1994", EXAMPLE as i64),
        ] {
            assert_eq!(parse_http_date(date), Some(unix), "{date}");
        }
        // Relative to a `now` with a fraction of a second.
        let now = at(EXAMPLE) + Duration::from_millis(250);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_millis(9_750))
        );
    }

    /// A small deterministic xorshift64* generator.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
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
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let now = SystemTime::now();
        let (mut links, mut delays) = (0, 0);
        for i in 0..5_000 {
            let mut bytes = Vec::new();
            if i % 2 == 0 {
                bytes.extend_from_slice(
                    SEEDS[(rng.next() % SEEDS.len() as u64) as usize].as_bytes(),
                );
                for _ in 0..1 + rng.next() % 4 {
                    let at = (rng.next() % (bytes.len() as u64 + 1)) as usize;
                    let b = ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize];
                    if rng.next().is_multiple_of(2) && at < bytes.len() {
                        bytes[at] = b;
                    } else {
                        bytes.insert(at, b);
                    }
                }
            } else {
                for _ in 0..rng.next() % 64 {
                    let r = rng.next();
                    bytes.push(if r.is_multiple_of(3) {
                        (r >> 8) as u8
                    } else {
                        ALPHABET[((r >> 8) % ALPHABET.len() as u64) as usize]
                    });
                }
            }
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
