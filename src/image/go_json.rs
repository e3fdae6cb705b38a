//! JSON written the way Go's `encoding/json` writes it, so that documents
//! we build (artifact manifests, indexes) hash to what oras builds.

use std::fmt::Write;

/// Appends `s` as a JSON string the way Go's `encoding/json` writes it.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a string map as a JSON object, keys sorted as Go sorts them.
pub(crate) fn push_map(out: &mut String, map: &std::collections::BTreeMap<String, String>) {
    out.push('{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, key);
        out.push(':');
        push_str(out, value);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_go_does() {
        let mut out = String::new();
        push_str(&mut out, "a<b>&c\"d\\e\n\u{1}\u{2028}é");
        assert_eq!(out, r#""a\u003cb\u003e\u0026c\"d\\e\n\u0001\u2028é""#);
    }
}
