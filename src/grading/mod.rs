//! Grading: which key points an answer covers, its score 0-100, and the no-credit rules. Deterministic and
//! explainable: a [`Grade`] lists the covered points, so the reveal can show covered and missed ones.

pub mod normalize;

use std::collections::HashSet;

use crate::bank::Question;
use normalize::{Normalized, normalize};

/// Why an answer scored what it did. Stored in the database by [`Verdict::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Scored on key points.
    Graded,
    /// Too short to earn credit.
    TooShort,
    /// Copies the model answer.
    CopiedModel,
    /// Copies another member's earlier answer in the same round.
    CopiedMember,
    /// Submitted after the member looked at the model answer.
    AfterPeek,
    /// Multiple choice, right.
    ChoiceRight,
    /// Multiple choice, wrong.
    ChoiceWrong,
}

impl Verdict {
    /// The key stored in the database.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Graded => "graded",
            Verdict::TooShort => "too_short",
            Verdict::CopiedModel => "copied_model",
            Verdict::CopiedMember => "copied_member",
            Verdict::AfterPeek => "after_peek",
            Verdict::ChoiceRight => "choice_right",
            Verdict::ChoiceWrong => "choice_wrong",
        }
    }

    /// Parses a stored key.
    pub fn from_key(key: &str) -> Option<Verdict> {
        [
            Verdict::Graded,
            Verdict::TooShort,
            Verdict::CopiedModel,
            Verdict::CopiedMember,
            Verdict::AfterPeek,
            Verdict::ChoiceRight,
            Verdict::ChoiceWrong,
        ]
        .into_iter()
        .find(|v| v.key() == key)
    }

    /// Whether the answer earns its score.
    pub fn earns_credit(self) -> bool {
        matches!(self, Verdict::Graded | Verdict::ChoiceRight)
    }
}

/// The result of grading one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// Credited score 0-100 (0 when the verdict earns no credit).
    pub score: u8,
    /// Indexes of covered key points.
    pub covered: Vec<usize>,
    /// Why.
    pub verdict: Verdict,
}

/// Grades a free-text answer against a question's key points.
/// `min_chars` is the shortest answer (in meaningful characters) that can earn credit.
pub fn grade_text(q: &Question, answer: &str, min_chars: usize) -> Grade {
    let norm = normalize(answer);
    let covered: Vec<usize> = q
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.phrases
                .iter()
                .any(|ph| norm.contains_phrase(&normalize(ph)))
        })
        .map(|(i, _)| i)
        .collect();
    let verdict = if norm.char_len() < min_chars {
        Verdict::TooShort
    } else if is_copy(&norm, &normalize(&q.answer)) {
        Verdict::CopiedModel
    } else {
        Verdict::Graded
    };
    let total: u32 = q.points.iter().map(|p| p.weight).sum();
    let got: u32 = covered.iter().map(|&i| q.points[i].weight).sum();
    let score = if verdict.earns_credit() && total > 0 {
        ((got * 100 + total / 2) / total) as u8
    } else {
        0
    };
    Grade {
        score,
        covered,
        verdict,
    }
}

/// Reads the chosen letters of a multiple-choice answer (`B`, `a, c`, `AC`, `选 B`).
/// Returns `None` when the text names no choice or a letter beyond the last choice.
pub fn parse_choice(q: &Question, answer: &str) -> Option<Vec<usize>> {
    let norm = normalize(answer).text.replace("选项", "").replace("选", "");
    let mut picks = Vec::new();
    for c in norm.chars().filter(|c| *c != ' ') {
        if !c.is_ascii_lowercase() {
            return None;
        }
        let i = (c as u8 - b'a') as usize;
        if i >= q.choices.len() {
            return None;
        }
        if !picks.contains(&i) {
            picks.push(i);
        }
    }
    picks.sort_unstable();
    (!picks.is_empty()).then_some(picks)
}

/// Grades a multiple-choice answer: all right choices and nothing else scores 100.
pub fn grade_choice(q: &Question, picks: &[usize]) -> Grade {
    let right = picks == q.correct.as_slice();
    Grade {
        score: if right { 100 } else { 0 },
        covered: picks.to_vec(),
        verdict: if right {
            Verdict::ChoiceRight
        } else {
            Verdict::ChoiceWrong
        },
    }
}

/// Length of the character shingles used to compare texts.
const SHINGLE: usize = 5;

fn shingles(n: &Normalized) -> Vec<String> {
    let chars: Vec<char> = n.text.chars().filter(|c| *c != ' ').collect();
    if chars.len() < SHINGLE {
        return vec![chars.into_iter().collect()];
    }
    chars.windows(SHINGLE).map(|w| w.iter().collect()).collect()
}

/// Whether `answer` is (almost all) a copy of `source`: the two are equal after normalisation, or at least
/// 80% of the answer's 5-character shingles occur in the source. Used against the model answer and against
/// earlier answers of other members.
pub fn is_copy(answer: &Normalized, source: &Normalized) -> bool {
    let a: String = answer.text.chars().filter(|c| *c != ' ').collect();
    let s: String = source.text.chars().filter(|c| *c != ' ').collect();
    if a.is_empty() {
        return false;
    }
    if a == s {
        return true;
    }
    if a.chars().count() < 20 {
        return false;
    }
    let source_set: HashSet<String> = shingles(source).into_iter().collect();
    let answer_shingles = shingles(answer);
    let shared = answer_shingles
        .iter()
        .filter(|s| source_set.contains(*s))
        .count();
    shared * 5 >= answer_shingles.len() * 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{KeyPoint, Location, Question};

    fn question() -> Question {
        Question {
            id: "t".into(),
            topic: "network".into(),
            difficulty: 2,
            tags: vec!["tcp".into()],
            question: "TCP 三次握手？".into(),
            answer: "客户端发送 SYN，服务端回复 SYN+ACK，客户端再发送 ACK；这样双方都确认了对方的初始序列号 ISN。".into(),
            points: vec![
                KeyPoint {
                    text: "三次握手".into(),
                    weight: 2,
                    phrases: vec!["三次握手".into(), "three-way handshake".into(), "syn".into()],
                },
                KeyPoint {
                    text: "同步初始序列号".into(),
                    weight: 1,
                    phrases: vec!["序列号".into(), "isn".into(), "sequence number".into()],
                },
                KeyPoint {
                    text: "防止旧连接".into(),
                    weight: 1,
                    phrases: vec!["旧连接".into(), "历史连接".into(), "old connection".into()],
                },
            ],
            choices: vec![],
            correct: vec![],
            followups: vec![],
            draft: false,
            location: Location {
                file: "x".into(),
                line: 1,
            },
        }
    }

    #[test]
    fn score_is_the_weighted_share_of_covered_points() {
        let g = grade_text(
            &question(),
            "TCP 通过 three-way handshake 建立连接，同步双方的 ISN。",
            10,
        );
        assert_eq!(g.covered, vec![0, 1]);
        assert_eq!(g.score, 75);
        assert_eq!(g.verdict, Verdict::Graded);
    }

    #[test]
    fn short_and_copied_answers_earn_nothing() {
        let q = question();
        assert_eq!(grade_text(&q, "三次握手", 10).verdict, Verdict::TooShort);
        assert_eq!(grade_text(&q, "三次握手", 10).score, 0);
        let copied = grade_text(&q, &q.answer.clone(), 10);
        assert_eq!(copied.verdict, Verdict::CopiedModel);
        assert_eq!(copied.score, 0);
    }

    #[test]
    fn choices_are_read_from_letters() {
        let mut q = question();
        q.choices = vec!["a".into(), "b".into(), "c".into()];
        q.correct = vec![0, 2];
        assert_eq!(parse_choice(&q, "c, A"), Some(vec![0, 2]));
        assert_eq!(parse_choice(&q, "ＡＣ"), Some(vec![0, 2]));
        assert_eq!(parse_choice(&q, "选项 B"), Some(vec![1]));
        assert_eq!(parse_choice(&q, "D"), None);
        assert_eq!(parse_choice(&q, "I think A"), None);
        assert_eq!(grade_choice(&q, &[0, 2]).score, 100);
        assert_eq!(grade_choice(&q, &[0]).score, 0);
    }
}
