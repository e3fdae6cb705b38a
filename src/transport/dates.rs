//! Dates: the civil-date arithmetic (proleptic Gregorian) and the two
//! timestamp formats registries send, HTTP-dates (`Retry-After`) and RFC 3339
//! (a token's `issued_at`). The only place that parses either.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The longest delay [`parse_retry_after`] returns; larger requests are cut
/// to it, so that adding the delay to a clock cannot overflow. Retry
/// policies apply their own, smaller limits on top.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The delay the `Retry-After` header in `headers` asks for, from now.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// The delay a `Retry-After` value asks for: delta-seconds or an HTTP-date
/// (relative to `now`; a date in the past is zero). `None` when malformed.
///
/// All three HTTP-date forms of RFC 9110 are accepted: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`, two-digit years 70-99 are 19xx and
/// 00-69 are 20xx) and asctime (`Sun Nov  6 08:49:37 1994`) forms. Delays
/// above [`MAX_RETRY_AFTER`] are cut to it.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
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

/// Parses an RFC 3339 timestamp such as `2024-05-06T07:08:09.123Z` or
/// `2024-05-06T09:08:09+02:00`. `None` when malformed or before 1970.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let (nanos, rest) = fraction(&b[19..])?;
    let offset = utc_offset(rest)?;
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset;
    let seconds = u64::try_from(seconds).ok()?;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// The value of a run of ASCII digits; `None` if any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// An optional `.fraction` of a second: its nanoseconds and what follows.
fn fraction(b: &[u8]) -> Option<(u32, &[u8])> {
    let Some(after_dot) = b.strip_prefix(b".") else {
        return Some((0, b));
    };
    let len = after_dot.iter().take_while(|d| d.is_ascii_digit()).count();
    if len == 0 {
        return None;
    }
    let mut nanos = digits(&after_dot[..len.min(9)])?;
    for _ in len..9 {
        nanos *= 10;
    }
    Some((nanos, &after_dot[len..]))
}

/// The seconds east of UTC of `Z` or `±HH:MM`, which must end the text.
fn utc_offset(b: &[u8]) -> Option<i64> {
    match b {
        b"Z" | b"z" => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

/// Day names in IMF-fixdate and asctime dates.
const SHORT_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/// Day names in RFC 850 dates.
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// Month names in HTTP-dates.
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
            (fixed_digits(year, 4)?, month, fixed_digits(day, 2)?, time)
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
            let yy = fixed_digits(yy, 2)?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            (year, month, fixed_digits(day, 2)?, time)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [day_name, month, "", day, time, year] if short_day(day_name) => {
            (fixed_digits(year, 4)?, month, fixed_digits(day, 1)?, time)
        }
        // asctime with a two-digit day: Sun Nov 16 08:49:37 1994
        [day_name, month, day, time, year] if short_day(day_name) => {
            (fixed_digits(year, 4)?, month, fixed_digits(day, 2)?, time)
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
    let (h, m, sec) = (
        fixed_digits(h, 2)?,
        fixed_digits(m, 2)?,
        fixed_digits(sec, 2)?,
    );
    // 60 is a leap second.
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(h * 3600 + m * 60 + sec))
}

/// The value of `s` when it is exactly `len` ASCII digits.
fn fixed_digits(s: &str, len: usize) -> Option<u32> {
    if s.len() != len {
        return None;
    }
    digits(s.as_bytes())
}

/// Whether `year` is a Gregorian leap year.
fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// The number of days in `month` (1-12) of `year`, Gregorian.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The time `unix` seconds after the epoch.
    fn at(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    /// 1994-11-06T08:49:37Z, the RFC's example date.
    const EXAMPLE: u64 = 784_111_777;

    #[test]
    fn rfc3339() {
        let at = |s: u64, n: u32| Some(UNIX_EPOCH + Duration::new(s, n));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), at(0, 0));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), at(1_700_000_000, 0));
        assert_eq!(parse_rfc3339("2023-11-14t22:13:20z"), at(1_700_000_000, 0));
        assert_eq!(parse_rfc3339("2023-11-14 22:13:20Z"), at(1_700_000_000, 0));
        assert_eq!(
            parse_rfc3339("2023-11-15T00:13:20+02:00"),
            at(1_700_000_000, 0)
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T17:13:20-05:00"),
            at(1_700_000_000, 0)
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.5Z"),
            at(1_700_000_000, 500_000_000)
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.123456789123Z"),
            at(1_700_000_000, 123_456_789)
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), at(951_782_400, 0));
        assert_eq!(parse_rfc3339("2024-12-31T23:59:59Z"), at(1_735_689_599, 0));
        for bad in [
            "",
            "2023-11-14",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20+0200",
            "2023-13-14T22:13:20Z",
            "2023-02-29T22:13:20Z",
            "2023-11-31T22:13:20Z",
            "2023-11-14T24:13:20Z",
            "2023-11-14T22:60:20Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20Zjunk",
            "2023-1a-14T22:13:20Z",
            "1969-12-31T23:59:59Z",
            "2023-11-14T22:13:20+24:00",
            "2023-11-14T22:13:20\u{e9}Z",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_from_civil_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1970, 3, 1), 59);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2400, 2, 29), 157_113);
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
}
