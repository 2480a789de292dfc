//! Simplified to Traditional Chinese for the `zh-TW` command descriptions. The table is the inverse of the one
//! `fast2s` (Traditional to Simplified, which the grader uses) carries, read off once; where one simplified
//! character stands for several traditional ones, [`CHOICES`] says which the interface means. Written here
//! because the converters on crates.io are GPL-licensed or bind C libraries; a test checks that every
//! character of the descriptions with more than one traditional form has its choice made.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Simplified characters with several traditional forms, and the form the interface's words need; also
/// characters whose one other form would be the wrong word here.
const CHOICES: &[(char, char)] = &[
    ('后', '後'),
    ('发', '發'),
    ('时', '時'),
    ('只', '只'),
    ('里', '裡'),
    ('复', '復'),
    ('台', '臺'),
    ('干', '幹'),
    ('面', '面'),
    ('制', '制'),
    ('范', '範'),
    ('准', '準'),
    ('系', '系'),
    ('历', '歷'),
    ('钟', '鐘'),
    ('当', '當'),
    ('表', '表'),
    ('周', '週'),
    ('几', '幾'),
    ('开', '開'),
    ('启', '啟'),
    ('设', '設'),
    ('门', '門'),
    ('题', '題'),
    ('览', '覽'),
    ('统', '統'),
    ('计', '計'),
    ('录', '錄'),
    ('隐', '隱'),
    ('选', '選'),
    ('择', '擇'),
    ('据', '據'),
    ('志', '志'),
    ('占', '佔'),
    ('于', '於'),
    ('个', '個'),
    ('着', '著'),
    ('尽', '盡'),
    ('难', '難'),
    ('么', '麼'),
    ('同', '同'),
    ('管', '管'),
    ('绩', '績'),
    // Also Traditional themselves: the table's only other form is a rare word (嚮, 瞭, 齣).
    ('向', '向'),
    ('了', '了'),
    ('出', '出'),
];

/// The simplified characters with more than one traditional form (for the test), and the one-to-one table.
struct Table {
    ambiguous: Vec<char>,
    map: HashMap<char, char>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut forms: HashMap<char, Vec<char>> = HashMap::new();
        for t in (0x3400..=0x9FFF).filter_map(char::from_u32) {
            let s = fast2s::convert(t.encode_utf8(&mut [0; 4]));
            let mut chars = s.chars();
            if let (Some(s), None) = (chars.next(), chars.next())
                && s != t
            {
                forms.entry(s).or_default().push(t);
            }
        }
        let mut ambiguous = Vec::new();
        let mut map = HashMap::new();
        for (s, ts) in forms {
            if let [t] = ts[..] {
                map.insert(s, t);
            } else {
                ambiguous.push(s);
            }
        }
        for &(s, t) in CHOICES {
            map.insert(s, t);
        }
        Table { ambiguous, map }
    })
}

/// The text in Traditional characters.
pub fn to_traditional(text: &str) -> String {
    let map = &table().map;
    text.chars().map(|c| *map.get(&c).unwrap_or(&c)).collect()
}

/// The characters of `text` with several traditional forms and no choice made in [`CHOICES`].
pub fn unchosen(text: &str) -> Vec<char> {
    let t = table();
    let mut out: Vec<char> = text
        .chars()
        .filter(|c| t.ambiguous.contains(c) && !CHOICES.iter().any(|(s, _)| s == c))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_the_interface_read_in_traditional_characters() {
        assert_eq!(to_traditional("开启或暂停每日推送"), "開啟或暫停每日推送");
        assert_eq!(to_traditional("揭晓后开一个讨论串"), "揭曉後開一個討論串");
        assert_eq!(to_traditional("时区"), "時區");
        // Characters that are Traditional too stay themselves.
        assert_eq!(
            to_traditional("向所有人揭晓，忘了，出题"),
            "向所有人揭曉，忘了，出題"
        );
        // Back to simplified, it is the same text.
        let zh = "查看当前设置，选择每日题目的频道";
        assert_eq!(fast2s::convert(&to_traditional(zh)), zh);
    }
}
