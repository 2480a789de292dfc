//! Text helpers shared by the adapters: the one splitter for long light-Markdown texts, measured the way each
//! platform counts.

use crate::markup;

/// The code fence marker.
pub const FENCE: &str = "```";

/// A fence line opens (or closes) a code block; the rest of an opening line names the language.
pub fn fence_lang(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix(FENCE)?;
    // A language name goes into an attribute: keep only characters that need no quoting.
    Some(
        rest.trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '_' | '-' | '.'))
            .take(20)
            .collect(),
    )
}

/// A piece of a source line, with the fence it sits in (the language) before and after it.
#[derive(Debug, Clone)]
struct Unit {
    text: String,
    /// Joined to the previous unit by a line break (false for the later pieces of a line cut in two).
    newline_before: bool,
    fence_before: Option<String>,
    fence_after: Option<String>,
}

impl Unit {
    fn is_paragraph_break(&self) -> bool {
        self.fence_before.is_none() && self.newline_before && self.text.trim().is_empty()
    }
}

/// The Markdown source of units `a..b` made self-contained: a fence open at the start is reopened, one open at
/// the end is closed.
fn chunk_source(units: &[Unit]) -> String {
    let mut s = String::new();
    if let Some(lang) = &units[0].fence_before {
        s.push_str(FENCE);
        s.push_str(lang);
        s.push('\n');
    }
    for (i, u) in units.iter().enumerate() {
        if i > 0 && u.newline_before {
            s.push('\n');
        }
        s.push_str(&u.text);
    }
    if units.last().is_some_and(|u| u.fence_after.is_some()) {
        s.push('\n');
        s.push_str(FENCE);
    }
    s
}

/// Cuts source lines into units, cutting a line whose measure alone exceeds `max` into pieces that fit.
fn units_of(src: &str, max: usize, measure: &impl Fn(&[Unit]) -> usize) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut fence: Option<String> = None;
    for line in src.split('\n') {
        let before = fence.clone();
        if let Some(lang) = fence_lang(line) {
            fence = if fence.is_some() { None } else { Some(lang) };
        }
        let unit = |text: &str, newline_before: bool| Unit {
            text: text.to_string(),
            newline_before,
            fence_before: before.clone(),
            fence_after: fence.clone(),
        };
        let whole = unit(line, true);
        if measure(std::slice::from_ref(&whole)) <= max {
            units.push(whole);
            continue;
        }
        // Too long even alone: the longest prefixes that fit, found by bisection on characters.
        let mut rest = line;
        let mut first = true;
        while !rest.is_empty() {
            let chars: Vec<usize> = rest.char_indices().map(|(i, _)| i).collect();
            // A cut never separates an escape's backslash from its character.
            let end_of =
                |n: usize| markup::safe_cut(rest, chars.get(n).copied().unwrap_or(rest.len()));
            // Only the last piece of the line carries the fence state after the line.
            let piece = |n: usize| {
                let mut u = unit(&rest[..end_of(n)], first);
                if n < chars.len() {
                    u.fence_after = before.clone();
                }
                u
            };
            let fits = |n: usize| measure(std::slice::from_ref(&piece(n))) <= max;
            let (mut lo, mut hi) = (1, chars.len());
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if fits(mid) { lo = mid } else { hi = mid - 1 }
            }
            let cut = end_of(lo);
            units.push(piece(lo));
            rest = &rest[cut..];
            first = false;
        }
    }
    units
}

/// Splits light Markdown into self-contained pieces whose `measure` (the platform's length of the piece as it
/// will be sent) is at most `max`: cut at paragraph boundaries when possible, then at line ends, then inside a
/// line (never inside an escape). A code block cut in two is closed at the end of one piece and reopened, with
/// its language, at the start of the next. The one splitter of every adapter.
pub fn split(src: &str, max: usize, measure: impl Fn(&str) -> usize) -> Vec<String> {
    let measure = |units: &[Unit]| measure(&chunk_source(units));
    let units = units_of(src.trim_end(), max, &measure);
    let mut parts = Vec::new();
    let mut a = 0;
    while a < units.len() {
        // Paragraph breaks at the start of a part show nothing.
        if units[a].is_paragraph_break() || (units[a].text.is_empty() && a > 0) {
            a += 1;
            continue;
        }
        let mut b = a + 1;
        while b < units.len() && measure(&units[a..=b]) <= max {
            b += 1;
        }
        if b < units.len()
            && let Some(k) = (a + 1..b).rev().find(|&k| units[k].is_paragraph_break())
        {
            b = k;
        }
        let source = chunk_source(&units[a..b]);
        let source = source.trim_end();
        if !source.trim().is_empty() {
            parts.push(source.to_string());
        }
        a = b;
    }
    if parts.is_empty() {
        parts.push(String::new());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn long_texts_split_at_paragraphs_under_the_limit() {
        let para = "段".repeat(3000);
        let text = format!("{para}\n\n{para}\n\n短");
        let pieces = split(&text, 4096, chars);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(pieces[0], para);
        let no_breaks = "x".repeat(9000);
        let pieces = split(&no_breaks, 4096, chars);
        assert!(pieces.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(pieces.iter().map(|p| p.len()).sum::<usize>(), 9000);
        assert_eq!(split("short", 4096, chars), vec!["short".to_string()]);
    }

    #[test]
    fn a_code_block_cut_by_a_split_is_closed_and_reopened_with_its_language() {
        let code: Vec<String> = (0..200)
            .map(|i| format!("print('line {i}')  # 注释"))
            .collect();
        let text = format!("说明：\n\n```python\n{}\n```\n\n结束。", code.join("\n"));
        let pieces = split(&text, 1000, chars);
        assert!(pieces.len() > 2);
        for p in &pieces {
            assert!(p.chars().count() <= 1000, "{} chars", p.chars().count());
            let fences = p
                .lines()
                .filter(|l| l.trim_start().starts_with("```"))
                .count();
            assert_eq!(fences % 2, 0, "unbalanced fences in {p:?}");
        }
        assert!(pieces[1].starts_with("```python\n"));
        let all = pieces.join("\n");
        for i in 0..200 {
            assert!(all.contains(&format!("print('line {i}')")), "line {i} lost");
        }
        assert!(all.ends_with("结束。"));
    }
}
