//! Which question an answer answers. A neighbouring question's answer shares many terms with this one (a
//! delayed queue on a Redis sorted set, offered for a leaderboard question, names the sorted set and its
//! scores), so key phrases alone credit it. Compared with every question of the bank, such an answer reads
//! much more like the neighbour's model answer than like this question's: then it earns nothing.
//!
//! Each free-text question is a document: its text, its model answer and its key phrases (so an English
//! answer meets the English phrases), as tf-idf weighted tokens (English words, and pairs of adjacent Chinese
//! characters). An answer is compared by its dot product with each document; the answer's own norm cancels
//! out of the ratio that decides. The index is inverted, and tokens found in more than a third of the
//! documents are left out: they say little about which question it is, and cost the most to look up.

use rustc_hash::FxHashMap;

use super::normalize::normalize;
use crate::bank::Question;

/// An answer is off-topic when another question's document matches it this many times better than its own.
/// Measured on the evaluation sets: strong and partial answers (Chinese and English) essentially never
/// come near it, most answers to a neighbouring question pass it.
pub const CLOSER_RATIO: f32 = 1.5;

/// Tokens in more than this share of the documents are not indexed.
const COMMON_SHARE: f32 = 1.0 / 3.0;

/// The bank's questions, indexed to tell which one a text is about.
#[derive(Debug, Default)]
pub struct Relevance {
    ids: Vec<String>,
    /// Question id -> its document.
    index_of: FxHashMap<String, u32>,
    /// Token -> its inverse document frequency and its run in `postings`.
    terms: FxHashMap<u64, Term>,
    /// (document, the token's weight in the document's unit vector), grouped by token.
    postings: Vec<(u32, f32)>,
}

#[derive(Debug, Clone, Copy)]
struct Term {
    idf: f32,
    start: u32,
    len: u32,
}

/// The tokens of a normalised text: English words (hashed) and pairs of adjacent non-ASCII characters (a
/// pair of code points with a high bit set, so the two kinds never meet).
fn tokens(text: &str, mut each: impl FnMut(u64)) {
    let mut word: u64 = 0xcbf2_9ce4_8422_2325;
    let mut in_word = false;
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word = (word ^ u64::from(c as u8)).wrapping_mul(0x0100_0000_01b3);
            in_word = true;
            prev = None;
            continue;
        }
        if in_word {
            each(word & !(1 << 63));
            word = 0xcbf2_9ce4_8422_2325;
            in_word = false;
        }
        if c.is_ascii() {
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            each((1 << 63) | (u64::from(p as u32) << 21) | u64::from(c as u32));
        }
        prev = Some(c);
    }
    if in_word {
        each(word & !(1 << 63));
    }
}

/// Each distinct token of a normalised text with its count.
fn counts(text: &str) -> Vec<(u64, u32)> {
    let mut all = Vec::with_capacity(text.len() / 3);
    tokens(text, |t| all.push(t));
    all.sort_unstable();
    let mut counts: Vec<(u64, u32)> = Vec::with_capacity(all.len());
    for t in all {
        match counts.last_mut() {
            Some((last, n)) if *last == t => *n += 1,
            _ => counts.push((t, 1)),
        }
    }
    counts
}

/// The weight of a token seen `n` times: sublinear, so a repeated word does not decide alone.
fn tf(n: u32) -> f32 {
    1.0 + (n as f32).ln()
}

impl Relevance {
    /// Indexes the free-text questions given.
    pub fn new<'a>(questions: impl IntoIterator<Item = &'a Question>) -> Relevance {
        let mut ids = Vec::new();
        let mut docs = Vec::new();
        for q in questions.into_iter().filter(|q| !q.is_choice()) {
            let mut doc = String::with_capacity(q.question.len() + q.answer.len() + 1024);
            doc.push_str(&q.question);
            doc.push('\n');
            doc.push_str(&q.answer);
            for p in q.points.iter() {
                for phrase in p.phrases.iter().chain(p.all.iter().flatten()) {
                    doc.push('\n');
                    doc.push_str(phrase);
                }
            }
            ids.push(q.id.clone());
            docs.push(counts(&normalize(&doc).text));
        }
        let n = docs.len() as f32;
        let mut df: FxHashMap<u64, u32> = FxHashMap::default();
        for d in &docs {
            for &(t, _) in d {
                *df.entry(t).or_insert(0) += 1;
            }
        }
        let idf = |t: u64| (n / (1.0 + df[&t] as f32)).ln().max(0.0);
        let indexed = |t: u64| (df[&t] as f32) <= n * COMMON_SHARE;
        let mut lists: FxHashMap<u64, Vec<(u32, f32)>> = FxHashMap::default();
        for (i, d) in docs.iter().enumerate() {
            // The norm counts every token, indexed or not, so a long document is not favoured.
            let norm = d
                .iter()
                .map(|&(t, c)| (tf(c) * idf(t)).powi(2))
                .sum::<f32>()
                .sqrt()
                .max(f32::EPSILON);
            for &(t, c) in d.iter().filter(|&&(t, _)| indexed(t)) {
                lists
                    .entry(t)
                    .or_default()
                    .push((i as u32, tf(c) * idf(t) / norm));
            }
        }
        let mut terms = FxHashMap::default();
        let mut postings = Vec::new();
        for (t, list) in lists {
            terms.insert(
                t,
                Term {
                    idf: idf(t),
                    start: postings.len() as u32,
                    len: list.len() as u32,
                },
            );
            postings.extend(list);
        }
        Relevance {
            index_of: ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i as u32))
                .collect(),
            ids,
            terms,
            postings,
        }
    }

    /// The question that a normalised answer text reads as answering, when it is not `own` and matches
    /// [`CLOSER_RATIO`] times better than `own` does. `None` when `own` is not indexed.
    pub fn closer_than(&self, own: &str, text: &str) -> Option<&str> {
        let own = *self.index_of.get(own)? as usize;
        let mut dots = vec![0.0f32; self.ids.len()];
        for (t, c) in counts(text) {
            let Some(term) = self.terms.get(&t) else {
                continue;
            };
            let w = tf(c) * term.idf;
            let run = term.start as usize..(term.start + term.len) as usize;
            for &(d, dw) in &self.postings[run] {
                dots[d as usize] += w * dw;
            }
        }
        let mine = dots[own];
        let (best, &score) = dots
            .iter()
            .enumerate()
            .filter(|&(d, _)| d != own)
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        (score > 0.0 && score > mine * CLOSER_RATIO).then(|| self.ids[best].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{KeyPoint, Location, Question};

    fn question(id: &str, text: &str, answer: &str, phrases: &[&str]) -> Question {
        let location = Location {
            file: "x".into(),
            line: 1,
        };
        Question {
            id: id.into(),
            topic: "t".into(),
            difficulty: 2,
            tags: vec![],
            question: text.into(),
            answer: answer.into(),
            points: vec![KeyPoint {
                text: "point".into(),
                weight: 1,
                phrases: phrases.iter().map(|p| p.to_string()).collect(),
                all: vec![],
                wrong: vec![],
                location: location.clone(),
            }],
            choices: vec![],
            correct: vec![],
            followups: vec![],
            draft: false,
            location,
        }
    }

    fn bank() -> Vec<Question> {
        vec![
            question(
                "leaderboard",
                "怎样用 Redis 实现一个实时排行榜？",
                "用有序集合 ZSet：成员是用户，分数是积分。ZINCRBY 加分，ZREVRANGE 取前 N 名，ZREVRANK 查名次。同分时把时间编进分数。",
                &["有序集合", "sorted set", "zrevrank"],
            ),
            question(
                "delay-queue",
                "怎样用 Redis 实现延迟队列？",
                "把任务放进有序集合，分数是到期时间戳；消费者轮询 ZRANGEBYSCORE 取出到期任务，再用 ZREM 抢占，避免重复执行。",
                &["到期时间", "zrangebyscore", "delayed queue"],
            ),
            question(
                "tcp-handshake",
                "TCP 为什么要三次握手？",
                "三次握手让双方确认彼此的收发能力并交换初始序列号，防止已失效的连接请求建立连接。",
                &["初始序列号", "initial sequence number", "三次握手"],
            ),
        ]
    }

    #[test]
    fn an_answer_to_a_neighbouring_question_reads_as_that_question() {
        let index = Relevance::new(&bank());
        let delay = normalize("用 ZSet 存任务，分数是到期时间戳，消费者轮询 ZRANGEBYSCORE 取到期的任务，ZREM 成功才算抢到，避免重复执行。").text;
        assert_eq!(
            index.closer_than("leaderboard", &delay),
            Some("delay-queue")
        );
        assert_eq!(index.closer_than("delay-queue", &delay), None);
    }

    #[test]
    fn an_answer_to_its_own_question_is_not_off_topic() {
        let index = Relevance::new(&bank());
        let board = normalize("排行榜用 Redis 的有序集合，用户做成员、积分做分数，ZINCRBY 加分，ZREVRANGE 取前 N 名，ZREVRANK 查名次。").text;
        assert_eq!(index.closer_than("leaderboard", &board), None);
        let english = normalize(
            "Use a sorted set: members are users and scores are points; ZREVRANK gives the rank.",
        )
        .text;
        assert_eq!(index.closer_than("leaderboard", &english), None);
    }

    #[test]
    fn an_unknown_question_or_an_empty_text_decides_nothing() {
        let index = Relevance::new(&bank());
        assert_eq!(index.closer_than("missing", "三次握手"), None);
        assert_eq!(index.closer_than("leaderboard", ""), None);
    }
}
