//! Text helpers shared by the adapters: splitting long Markdown texts for platforms with message limits.

/// Room kept in each piece for a code fence closed at its end and reopened in the next piece.
const FENCE_ROOM: usize = 24;

/// Splits text into pieces of at most `max` characters, preferring paragraph, then line boundaries. A code
/// fence (```` ``` ````) cut by a split is closed at the end of its piece and reopened, with its language, at
/// the start of the next, so every piece renders on its own.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let text = text.trim_end();
    if text.chars().count() <= max {
        return vec![text.to_string()];
    }
    let budget = max.saturating_sub(FENCE_ROOM).max(1);
    let mut pieces = Vec::new();
    let mut rest = text;
    // The opening line of a fence still open at the end of the previous piece.
    let mut open: Option<String> = None;
    while !rest.is_empty() {
        let prefix = open.as_ref().map(|f| format!("{f}\n")).unwrap_or_default();
        let room = budget.saturating_sub(prefix.chars().count()).max(1);
        let at = if rest.chars().count() <= room {
            rest.len()
        } else {
            let cut = rest.char_indices().nth(room).map_or(rest.len(), |(i, _)| i);
            // A cut never separates an escape's backslash from its character.
            let cut = crate::markup::safe_cut(rest, cut);
            let window = &rest[..cut];
            window
                .rfind("\n\n")
                .or_else(|| window.rfind('\n'))
                .filter(|&i| i > 0)
                .unwrap_or(cut)
        };
        let body = rest[..at].trim_end();
        let mut piece = format!("{prefix}{body}");
        open = open_fence_after(&piece);
        if open.is_some() {
            piece.push_str("\n```");
        }
        if !piece.trim().is_empty() {
            pieces.push(piece);
        }
        rest = rest[at..].trim_start_matches('\n');
    }
    if pieces.is_empty() {
        pieces.push(String::new());
    }
    pieces
}

/// The opening line of the fence left open at the end of `text`, if any.
fn open_fence_after(text: &str) -> Option<String> {
    let mut open = None;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            open = match open {
                None => Some(t.trim_end().to_string()),
                Some(_) => None,
            };
        }
    }
    open
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_split_at_paragraphs_under_the_limit() {
        let para = "段".repeat(3000);
        let text = format!("{para}\n\n{para}\n\n短");
        let pieces = split_text(&text, 4096);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(pieces[0], para);
        let no_breaks = "x".repeat(9000);
        let pieces = split_text(&no_breaks, 4096);
        assert!(pieces.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(pieces.iter().map(|p| p.len()).sum::<usize>(), 9000);
        assert_eq!(split_text("short", 4096), vec!["short".to_string()]);
    }

    #[test]
    fn a_code_block_cut_by_a_split_is_closed_and_reopened_with_its_language() {
        let code: Vec<String> = (0..200)
            .map(|i| format!("print('line {i}')  # 注释"))
            .collect();
        let text = format!("说明：\n\n```python\n{}\n```\n\n结束。", code.join("\n"));
        let pieces = split_text(&text, 1000);
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
