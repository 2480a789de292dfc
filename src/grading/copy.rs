//! Copy detection on 5-character shingles, both ways: an answer that is mostly taken from a source, and a
//! source that is mostly inside an answer (a copy padded with other text). Shingles are hashed once per text;
//! a round's answers are compared through an inverted index, so 1,000 answers take milliseconds.

use std::collections::HashMap;

use super::normalize::Normalized;

/// Length of the character shingles.
const SHINGLE: usize = 5;
/// An answer whose shingles are at least this share of a source's is a copy of it.
const ANSWER_IN_SOURCE: f64 = 0.8;
/// An answer holding at least this share of a source's shingles is a (padded) copy of it.
const SOURCE_IN_ANSWER: f64 = 0.6;
/// Texts shorter than this (in characters, spaces excluded) are compared only for equality: a short answer
/// that says what the model answer says (one idiomatic line of code, one definition) is not a copy.
const MIN_CHARS: usize = 40;

/// The shingles of one text, hashed, sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shingles {
    /// The text without spaces, for the equality test.
    pub compact: String,
    hashes: Vec<u64>,
}

/// A 64-bit hash of a window of characters (FNV-1a over the code points, then a final mix): shingles are
/// compared by hash, so it must spread well, not resist attack.
fn hash_window(w: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in w {
        h ^= c as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

impl Shingles {
    /// Shingles of a normalised text.
    pub fn of(n: &Normalized) -> Shingles {
        Shingles::of_text(&n.text)
    }

    /// Shingles of the text of a [`Normalized`].
    pub fn of_text(text: &str) -> Shingles {
        let mut compact = String::with_capacity(text.len());
        let mut window = [' '; SHINGLE];
        let mut n = 0;
        let mut hashes = Vec::with_capacity(text.len() / 2);
        for c in text.chars().filter(|c| *c != ' ') {
            compact.push(c);
            window.copy_within(1.., 0);
            window[SHINGLE - 1] = c;
            n += 1;
            if n >= SHINGLE {
                hashes.push(hash_window(&window));
            }
        }
        if n < SHINGLE {
            hashes.push(hash_window(&window[SHINGLE - n..]));
        }
        hashes.sort_unstable();
        hashes.dedup();
        Shingles { compact, hashes }
    }

    fn is_short(&self) -> bool {
        self.compact.chars().count() < MIN_CHARS
    }

    /// How many shingles the two texts share.
    fn shared(&self, other: &Shingles) -> usize {
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i < self.hashes.len() && j < other.hashes.len() {
            match self.hashes[i].cmp(&other.hashes[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    n += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        n
    }
}

/// Whether `shared` shingles make `answer` a copy of `source`, one way or the other.
fn is_copy_by(answer: &Shingles, source: &Shingles, shared: usize) -> bool {
    if answer.compact.is_empty() {
        return false;
    }
    if answer.compact == source.compact {
        return true;
    }
    if answer.is_short() || source.is_short() {
        return false;
    }
    let shared = shared as f64;
    shared >= ANSWER_IN_SOURCE * answer.hashes.len() as f64
        || shared >= SOURCE_IN_ANSWER * source.hashes.len() as f64
}

/// Whether `answer` copies `source`: equal after normalisation, mostly taken from it, or holding most of it.
pub fn is_copy(answer: &Shingles, source: &Shingles) -> bool {
    is_copy_by(answer, source, answer.shared(source))
}

impl Shingles {
    /// Whether `text` (normalised) copies this source: the same answer as
    /// `is_copy(&Shingles::of_text(text), self)`, found without sorting the answer's shingles. Most answers
    /// share few shingles with the model answer, and counting their distinct shingles can stop early.
    pub fn copied_by(&self, text: &str) -> bool {
        let mut chars = text.chars().filter(|c| *c != ' ').peekable();
        if chars.peek().is_none() {
            return false;
        }
        if chars.clone().eq(self.compact.chars()) {
            return true;
        }
        let n = chars.clone().count();
        if n < MIN_CHARS || self.is_short() {
            return false;
        }
        let mut window = [' '; SHINGLE];
        let mut hashes = Vec::with_capacity(n);
        for (i, c) in chars.enumerate() {
            window.copy_within(1.., 0);
            window[SHINGLE - 1] = c;
            if i + 1 >= SHINGLE {
                hashes.push(hash_window(&window));
            }
        }
        let mut shared: Vec<u64> = hashes
            .iter()
            .copied()
            .filter(|h| self.hashes.binary_search(h).is_ok())
            .collect();
        shared.sort_unstable();
        shared.dedup();
        let shared = shared.len() as f64;
        if shared >= SOURCE_IN_ANSWER * self.hashes.len() as f64 {
            return true;
        }
        // A copy when shared >= 0.8 x the answer's distinct shingles: count them until that fails.
        let mut distinct = rustc_hash::FxHashSet::default();
        for h in hashes {
            if distinct.insert(h) && shared < ANSWER_IN_SOURCE * distinct.len() as f64 {
                return false;
            }
        }
        true
    }
}

/// For answers in the order they were first submitted: whether each copies an earlier one.
pub fn copies_of_earlier(answers: &[Shingles]) -> Vec<bool> {
    let mut index: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut counts = vec![0usize; answers.len()];
    let mut touched = Vec::new();
    let mut out = Vec::with_capacity(answers.len());
    for (i, a) in answers.iter().enumerate() {
        for h in &a.hashes {
            for &j in index.get(h).map(Vec::as_slice).unwrap_or_default() {
                if counts[j as usize] == 0 {
                    touched.push(j as usize);
                }
                counts[j as usize] += 1;
            }
        }
        let equal_earlier = answers[..i]
            .iter()
            .any(|b| !a.compact.is_empty() && b.compact == a.compact);
        let copied = equal_earlier
            || touched
                .iter()
                .any(|&j| is_copy_by(a, &answers[j], counts[j]));
        for &j in &touched {
            counts[j] = 0;
        }
        touched.clear();
        out.push(copied);
        for &h in &a.hashes {
            index.entry(h).or_default().push(i as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grading::normalize::normalize;

    fn sh(s: &str) -> Shingles {
        Shingles::of(&normalize(s))
    }

    const MODEL: &str = "客户端发送 SYN，服务端回复 SYN+ACK，客户端再发送 ACK；这样双方都确认了对方的初始序列号，\
                         也能防止已经失效的历史连接请求被服务端误当成新连接。";

    #[test]
    fn a_copy_is_found_both_ways() {
        assert!(is_copy(&sh(MODEL), &sh(MODEL)));
        // Mostly taken from the model.
        let half: String = MODEL.chars().take(MODEL.chars().count() * 2 / 3).collect();
        assert!(is_copy(&sh(&half), &sh(MODEL)));
        // The whole model, padded with a third as much unrelated text.
        let padded = format!("{MODEL}另外我觉得 Redis 的持久化也很重要，RDB 和 AOF 各有优缺点。");
        assert!(is_copy(&sh(&padded), &sh(MODEL)));
        let own = "三次握手是为了让双方确认彼此的收发能力正常，并交换各自的起始序号，两次的话服务端无法确认客户端收到了它的序号。";
        assert!(!is_copy(&sh(own), &sh(MODEL)));
        assert!(!is_copy(&sh(""), &sh(MODEL)));
        // One short line that says what the model says is not a copy.
        assert!(!is_copy(
            &sh("客户端发送 SYN，服务端回复 SYN+ACK"),
            &sh(MODEL)
        ));
    }

    #[test]
    fn the_quick_check_against_a_source_agrees_with_the_full_one() {
        // Each model answer of the bundled bank against itself, its question's evaluation answers (padded
        // copies among them) and a seventh of all other texts: the two checks give the same verdict.
        let bank = crate::bank::Bank::bundled().expect("the bundled bank loads");
        let set = crate::grading::eval::EvalSet::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/eval"),
        )
        .expect("the evaluation set loads");
        let mut all: Vec<&str> = set
            .entries
            .iter()
            .flat_map(|e| e.answers.values().map(String::as_str))
            .collect();
        all.extend(bank.questions().iter().map(|q| q.answer.as_str()));
        let (mut compared, mut copies) = (0, 0);
        for (i, q) in bank.questions().iter().enumerate() {
            let model = sh(&q.answer);
            let own = set.entries.iter().filter(|e| e.id == q.id);
            let texts = own
                .flat_map(|e| e.answers.values().map(String::as_str))
                .chain([q.answer.as_str()])
                .chain(all.iter().copied().skip(i % 7).step_by(7));
            for t in texts {
                let text = normalize(t).text;
                let full = is_copy(&Shingles::of_text(&text), &model);
                assert_eq!(model.copied_by(&text), full, "{}: {t}", q.id);
                compared += 1;
                copies += usize::from(full);
            }
        }
        assert!(
            compared > 10_000 && copies > 150,
            "{compared} compared, {copies} copies"
        );
    }

    #[test]
    fn only_later_answers_are_copies_of_earlier_ones() {
        let a = "我认为三次握手主要是为了同步双方的初始序列号，并且防止网络中滞留的历史连接请求被服务端误建立。";
        let b = "三次握手：SYN、SYN+ACK、ACK，两次不够，因为服务端不知道客户端是否收到了自己的 SYN+ACK，也就没法确认。";
        let flags = copies_of_earlier(&[
            sh(a),
            sh(b),
            sh(a),
            sh(&format!("{b}我补充一句：这是面试常考题")),
        ]);
        assert_eq!(flags, [false, false, true, true]);
    }
}
