//! Text normalisation for matching answers against key-point phrases.
//!
//! Full-width characters become half-width, letters become lower case, common traditional characters become
//! simplified, and every run of punctuation or spaces becomes a single space between ASCII words and nothing
//! elsewhere. So `TIME_WAIT`, `time-wait` and `Ｔｉｍｅ Ｗａｉｔ` all read `time wait`, and `三 次 握 手` reads `三次握手`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Traditional characters common in technical writing, and their simplified forms (same order).
const TRADITIONAL: &str = "網絡連線進協議據數庫緩鎖記憶體態層傳輸應請響務發開關閉異資內檔對讀寫時間隊實現點類變個們這還會為與區別優勢單雙邏輯節統計機號碼標題頭決斷滿擁認證確環處樣並執結構樹葉從複製過鍵將儲條調試導負載門戶長釋獲礎熱擊歸併產際義麼頁驗權設備視圖書檢詢聯動靜錄溝講說話語譯訪問紀錯誤報讓則壓縮寬頻遲隨選擇啟終嗎運營維護雜塊鏈組織級階歷紅棧衝達遞參屬繼裝飾疊殺屍兒臨誌虛擬換髒復範圍樂觀緒橋攔轉審離總蓋飽穩閾丟棄絕頸輪湊訊觸邊緣搶佔鬆綁紮創銷毀繫係";
const SIMPLIFIED: &str = "网络连线进协议据数库缓锁记忆体态层传输应请响务发开关闭异资内档对读写时间队实现点类变个们这还会为与区别优势单双逻辑节统计机号码标题头决断满拥认证确环处样并执结构树叶从复制过键将储条调试导负载门户长释获础热击归并产际义么页验权设备视图书检询联动静录沟讲说话语译访问纪错误报让则压缩宽频迟随选择启终吗运营维护杂块链组织级阶历红栈冲达递参属继装饰叠杀尸儿临志虚拟换脏复范围乐观绪桥拦转审离总盖饱稳阈丢弃绝颈轮凑讯触边缘抢占松绑扎创销毁系系";

fn simplified_map() -> &'static HashMap<char, char> {
    static MAP: OnceLock<HashMap<char, char>> = OnceLock::new();
    MAP.get_or_init(|| TRADITIONAL.chars().zip(SIMPLIFIED.chars()).collect())
}

/// Text after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The normalised text: lower case, half-width, simplified; single spaces only between ASCII words.
    pub text: String,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Normalises text for matching.
pub fn normalize(input: &str) -> Normalized {
    let map = simplified_map();
    let mut text = String::with_capacity(input.len());
    let mut pending_space = false;
    let mut last: Option<char> = None;
    for raw in input.chars() {
        let c = match raw {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(raw as u32 - 0xFEE0).unwrap_or(raw),
            '\u{3000}' => ' ',
            _ => raw,
        };
        let c = *map.get(&c).unwrap_or(&c);
        for c in c.to_lowercase() {
            if c.is_alphanumeric() {
                if pending_space && last.is_some_and(is_word) && is_word(c) {
                    text.push(' ');
                }
                pending_space = false;
                text.push(c);
                last = Some(c);
            } else {
                pending_space = true;
            }
        }
    }
    Normalized { text }
}

impl Normalized {
    /// Characters that carry meaning (spaces excluded).
    pub fn char_len(&self) -> usize {
        self.text.chars().filter(|c| *c != ' ').count()
    }

    /// Whether the phrase occurs in this text. English words match whole words only (`air` is not in
    /// `chair`), with an optional plural `s`/`es` at the end.
    pub fn contains_phrase(&self, phrase: &Normalized) -> bool {
        let p = phrase.text.as_str();
        if p.is_empty() {
            return false;
        }
        let starts_word = p.chars().next().is_some_and(is_word);
        let ends_word = p.chars().next_back().is_some_and(is_word);
        self.text.match_indices(p).any(|(start, _)| {
            let before = self.text[..start].chars().next_back();
            if starts_word && before.is_some_and(is_word) {
                return false;
            }
            let rest = &self.text[start + p.len()..];
            if !ends_word || !rest.chars().next().is_some_and(is_word) {
                return true;
            }
            ["s", "es"].iter().any(|suffix| {
                rest.strip_prefix(suffix)
                    .is_some_and(|r| !r.chars().next().is_some_and(is_word))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(text: &str, phrase: &str) -> bool {
        normalize(text).contains_phrase(&normalize(phrase))
    }

    #[test]
    fn width_case_punctuation_and_spaces_are_ignored() {
        assert_eq!(normalize("ＴＩＭＥ＿ＷＡＩＴ").text, "time wait");
        assert_eq!(normalize("time-wait").text, "time wait");
        assert_eq!(normalize("三 次，握手。").text, "三次握手");
        assert_eq!(normalize("用TCP协议").text, "用tcp协议");
        assert!(has("客户端进入 TIME_WAIT 状态", "time-wait"));
    }

    #[test]
    fn english_matches_whole_words_with_plurals() {
        assert!(!has("a chair", "air"));
        assert!(has("hot air", "air"));
        assert!(has("three-way handshakes", "three-way handshake"));
        assert!(!has("handshaker", "handshake"));
        assert!(has("使用GIL锁", "gil"));
    }

    #[test]
    fn traditional_characters_match_simplified_phrases() {
        assert!(has("三次握手建立連線", "连线"));
        assert!(has("網絡協議", "网络协议"));
    }
}
