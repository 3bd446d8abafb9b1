//! Text helpers: byte and character boundaries, bounded windows, brackets.

use super::*;

/// Character offsets of sorted byte offsets, in one pass.
pub(super) fn char_offsets(text: &str, sorted: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut chars = 0;
    let mut byte = 0;
    for &b in sorted {
        chars += text[byte..b].chars().count();
        byte = b;
        out.push(chars);
    }
    out
}

pub(super) fn without_parentheticals(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['(', '（']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

pub(super) fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

pub(super) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub(super) fn skip_separators(text: &str, mut i: usize) -> usize {
    for c in text[i..].chars() {
        if matches!(c, '、' | '，' | ',' | ' ' | '　' | '；' | ';') {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// The last `n` characters of `s`.
pub(super) fn tail_chars(s: &str, n: usize) -> &str {
    match s.char_indices().rev().nth(n.saturating_sub(1)) {
        Some((i, _)) if n > 0 => &s[i..],
        _ if n == 0 => "",
        _ => s,
    }
}

/// The first `n` characters of `s`.
pub(super) fn take_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The first `n` characters of `s` or fewer, cut before the first that
/// fails `keep`: the run of a name or a phrase after a match, without copying it.
pub(super) fn head_while(s: &str, n: usize, keep: impl Fn(char) -> bool) -> &str {
    let head = take_chars(s, n);
    &head[..head.find(|c: char| !keep(c)).unwrap_or(head.len())]
}

/// The first `n` characters of `s`, stopping before any digit or quote:
/// the words right after a count belong to it only up to the next number.
pub(super) fn cut_at_number(s: &str, n: usize) -> &str {
    for (k, (i, c)) in s.char_indices().enumerate() {
        if k >= n || c.is_ascii_digit() || number::chinese_value(c.encode_utf8(&mut [0; 4])).is_some() && c != '十' {
            // `500强企业`, `世界500强`: a rank inside a noun phrase, not the next figure
            let rank = c.is_ascii_digit() && s[i..].trim_start_matches(|d: char| d.is_ascii_digit()).starts_with('强');
            if k < n && rank {
                continue;
            }
            return &s[..i];
        }
    }
    s
}

/// `（人民币，下同）以上` → `以上`.
pub(super) fn skip_parenthetical(s: &str) -> &str {
    let t = s.trim_start();
    if let Some(rest) = t.strip_prefix('（').or_else(|| t.strip_prefix('(')) {
        if let Some(i) = rest.find(['）', ')']) {
            return &rest[i + rest[i..].chars().next().map_or(1, |c| c.len_utf8())..];
        }
    }
    t
}
