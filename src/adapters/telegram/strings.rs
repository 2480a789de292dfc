//! Telegram's own strings (deep-link DMs and quiz polls), in the chat's language. User text in them is
//! escaped like every reply ([`crate::markup::literal`]).

use crate::markup::literal;
use crate::vocab::Lang;

/// A message only the Telegram adapter sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramText {
    /// A deep link opened the DM: what to do now.
    DmReady,
    /// The bot cannot DM a member yet: the note left in the group instead.
    CannotDm {
        /// The member.
        name: String,
        /// The deep link that opens the DM.
        link: String,
        /// Their answer was received (the note confirms it).
        received: bool,
    },
    /// A poll vote after the round closed.
    PollClosed,
    /// A DM for a group the member is not in.
    NotMember,
    /// `/today` when today's question is already in the chat: a reply to it.
    QuestionAbove,
    /// A round command in a DM that no group's button opened: how to get there.
    NoGroup,
}

impl TelegramText {
    /// The text in a language, as light Markdown.
    pub fn render(&self, lang: Lang) -> String {
        match (self, lang) {
            (TelegramText::DmReady, Lang::Zh) => "好的：在这里发给我的文字都算作你在群里今天这道题的答案（揭晓前保密）。也可以用 /reveal 先看答案。".into(),
            (TelegramText::DmReady, Lang::En) => "Ready: anything you send me here is your answer to today's question in the group (sealed until the reveal). /reveal shows the answer now.".into(),
            (TelegramText::PollClosed, Lang::Zh) => "这道题已经揭晓或换掉了，这次投票没有计入。用 /today 查看今天的题。".into(),
            (TelegramText::PollClosed, Lang::En) => "That question has already been revealed or replaced, so this vote was not counted. /today shows today's question.".into(),
            (TelegramText::NotMember, Lang::Zh) => "你不在这个群里（或者我不在了），所以不能在这里替它作答或查看它的成绩。请从群里题目下面的按钮进来。".into(),
            (TelegramText::QuestionAbove, Lang::Zh) => {
                "👆 今天的题在这里：回复它或用 /answer 作答。".into()
            }
            (TelegramText::QuestionAbove, Lang::En) => {
                "👆 Today's question is here: reply to it or use /answer.".into()
            }
            (TelegramText::NoGroup, Lang::Zh) => "每日一题在群里进行：把我加进你们的学习群，管理员发 /settings on 开始；之后点群里题目下面的「作答」按钮，就能在这里私下作答。/help 查看全部命令。".into(),
            (TelegramText::NoGroup, Lang::En) => "The daily question happens in a group: add me to your study group and have an admin send /settings on; then the answer button under the group's question lets you answer here in private. /help lists every command.".into(),
            (TelegramText::NotMember, Lang::En) => "You are not in that group (or I am no longer there), so you cannot answer for it or see its scores here. Use the button under the question in the group.".into(),
            (
                TelegramText::CannotDm {
                    name,
                    link,
                    received,
                },
                lang,
            ) => {
                let name = literal(name);
                match lang {
                    Lang::Zh => {
                        let head = if *received {
                            format!("✅ 已收到 {name} 的答案。")
                        } else {
                            format!("{name}：")
                        };
                        format!(
                            "{head}我还不能私信你，请先打开 {link} 并点“开始”，之后的私密回复都会发到私信里。"
                        )
                    }
                    Lang::En => {
                        let head = if *received {
                            format!("✅ Got {name}'s answer. ")
                        } else {
                            format!("{name}: ")
                        };
                        format!(
                            "{head}I can't message you privately yet: open {link} and press Start, then private replies reach you there."
                        )
                    }
                }
            }
        }
    }
}
