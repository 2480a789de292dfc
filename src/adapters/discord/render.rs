//! How an engine [`Reply`] looks on Discord: posts, reveals and information become embeds, confirmations and
//! refusals plain content; long texts are split at paragraph boundaries so that every message stays within
//! Discord's limits; buttons become components (at most five per row). The result is plain data, so the
//! limits can be tested without a network; [`Post::message`] and friends build serenity's requests from it.

use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse,
};

use crate::adapters::text::split;
use crate::message::{Button, Reply, ReplyKind};

/// Longest message content.
pub const MAX_CONTENT: usize = 2000;
/// Longest embed description.
pub const MAX_DESCRIPTION: usize = 4096;
/// Longest embed title.
pub const MAX_TITLE: usize = 256;
/// Most characters in all embeds of one message together.
pub const MAX_EMBED_TOTAL: usize = 6000;
/// Most embeds in one message.
pub const MAX_EMBEDS: usize = 10;
/// Most buttons in one row, and rows in one message.
pub const MAX_ROW: usize = 5;
/// Longest button label and custom id.
pub const MAX_LABEL: usize = 80;
/// Longest component custom id.
pub const MAX_CUSTOM_ID: usize = 100;

/// How Discord counts a text's length: characters (code points), so an emoji is one, where Telegram counts
/// two UTF-16 units.
pub fn discord_len(s: &str) -> usize {
    s.chars().count()
}

/// One embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// Bold first line, if any.
    pub title: Option<String>,
    /// The body (Markdown).
    pub description: String,
    /// Side colour.
    pub colour: u32,
}

impl Embed {
    /// Characters that count towards the 6,000 per message.
    pub fn len(&self) -> usize {
        self.title.as_deref().map_or(0, discord_len) + discord_len(&self.description)
    }

    /// Whether the embed has no text.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn build(&self) -> CreateEmbed {
        let mut e = CreateEmbed::new()
            .description(&self.description)
            .colour(self.colour);
        if let Some(t) = &self.title {
            e = e.title(t);
        }
        e
    }
}

/// One Discord message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Post {
    /// Plain content.
    pub content: Option<String>,
    /// Embeds.
    pub embeds: Vec<Embed>,
    /// Buttons, five to a row.
    pub buttons: Vec<Button>,
}

fn colour(kind: ReplyKind) -> u32 {
    match kind {
        ReplyKind::QuestionPost => 0x5865F2,
        ReplyKind::Reveal | ReplyKind::PersonalReveal => 0x57F287,
        ReplyKind::Info | ReplyKind::Confirmation => 0x4F545C,
        ReplyKind::Refusal => 0xED4245,
    }
}

/// The messages a reply becomes, in order; buttons go under the last one.
pub fn render(reply: &Reply) -> Vec<Post> {
    let mut posts = match reply.kind {
        ReplyKind::Confirmation | ReplyKind::Refusal => {
            split(&reply.text, MAX_CONTENT - 100, discord_len)
                .into_iter()
                .map(|part| Post {
                    content: Some(part),
                    ..Post::default()
                })
                .collect()
        }
        _ => embeds(reply),
    };
    if posts.is_empty() {
        posts.push(Post {
            content: Some("\u{200b}".into()),
            ..Post::default()
        });
    }
    if let Some(last) = posts.last_mut() {
        last.buttons = reply
            .buttons
            .iter()
            .filter(|b| b.command.len() <= MAX_CUSTOM_ID)
            .take(MAX_ROW * MAX_ROW)
            .cloned()
            .collect();
    }
    posts
}

fn embeds(reply: &Reply) -> Vec<Post> {
    let text = reply.text.trim();
    // A short first line is the title (the question post's "#12 · network · ★★").
    let (title, body) = match text.split_once('\n') {
        Some((first, rest)) if discord_len(first) <= MAX_TITLE && !first.contains("```") => {
            // Titles are plain text on Discord: escapes are resolved, not shown.
            (Some(crate::markup::unescape(first.trim())), rest.trim())
        }
        _ => (None, text),
    };
    // Leave room for a code fence reopened by the splitter and for the UTF-16 count of astral characters.
    let parts = split(body, 3000, discord_len);
    let mut posts: Vec<Post> = Vec::new();
    let mut current = Post::default();
    for (i, part) in parts.into_iter().enumerate() {
        let embed = Embed {
            title: if i == 0 { title.clone() } else { None },
            description: part,
            colour: colour(reply.kind),
        };
        let used: usize = current.embeds.iter().map(Embed::len).sum();
        if !current.embeds.is_empty()
            && (used + embed.len() > MAX_EMBED_TOTAL || current.embeds.len() == MAX_EMBEDS)
        {
            posts.push(std::mem::take(&mut current));
        }
        current.embeds.push(embed);
    }
    if current.embeds.is_empty()
        && let Some(t) = title
    {
        current.embeds.push(Embed {
            title: Some(t),
            description: String::new(),
            colour: colour(reply.kind),
        });
    }
    if !current.embeds.is_empty() {
        posts.push(current);
    }
    posts
}

fn label(s: &str) -> String {
    s.chars().take(MAX_LABEL).collect()
}

fn style(command: &str) -> ButtonStyle {
    if command == "/answer" {
        ButtonStyle::Primary
    } else {
        ButtonStyle::Secondary
    }
}

fn rows(buttons: &[Button]) -> Vec<CreateActionRow> {
    buttons
        .chunks(MAX_ROW)
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|b| {
                        CreateButton::new(b.command.clone())
                            .label(label(&b.label))
                            .style(style(&b.command))
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Fills one of serenity's message builders (they share no trait) from a post: embeds, buttons, content, and
/// no pings.
macro_rules! build {
    ($builder:expr, $post:expr) => {{
        let mut m = $builder
            .embeds($post.built_embeds())
            .components(rows(&$post.buttons))
            .allowed_mentions(CreateAllowedMentions::new());
        if let Some(c) = &$post.content {
            m = m.content(c);
        }
        m
    }};
}

impl Post {
    fn built_embeds(&self) -> Vec<CreateEmbed> {
        self.embeds.iter().map(Embed::build).collect()
    }

    /// A channel message (scheduled posts and reveals). Mentions never ping anyone.
    pub fn message(&self) -> CreateMessage {
        build!(CreateMessage::new(), self)
    }

    /// The first answer to an interaction.
    pub fn response(&self, ephemeral: bool) -> CreateInteractionResponseMessage {
        build!(
            CreateInteractionResponseMessage::new().ephemeral(ephemeral),
            self
        )
    }

    /// The deferred response's "thinking…" message, replaced by this post.
    pub fn edit(&self) -> EditInteractionResponse {
        build!(EditInteractionResponse::new(), self)
    }

    /// A further message after an interaction was answered (or deferred).
    pub fn followup(&self, ephemeral: bool) -> CreateInteractionResponseFollowup {
        build!(
            CreateInteractionResponseFollowup::new().ephemeral(ephemeral),
            self
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markup::{literal, samples};
    use crate::message::Reply;
    use proptest::prelude::*;

    /// What Discord shows of Markdown text, as far as user text goes: its escape rule (a backslash before a
    /// character that is not a letter, digit or space shows that character) resolved.
    fn discord_shows(md: &str) -> String {
        let mut out = String::new();
        let mut chars = md.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, chars.peek()) {
                ('\\', Some(&n)) if !n.is_alphanumeric() && !n.is_whitespace() => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Whether `md` has a Markdown-active ASCII character without a backslash before it.
    fn has_bare_marker(md: &str) -> bool {
        let mut escaped = false;
        for c in md.chars() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c.is_ascii_punctuation() {
                return true;
            }
        }
        false
    }

    proptest! {
        #[test]
        fn discord_shows_any_name_and_answer_literally(name in samples::hostile(), answer in samples::hostile()) {
            let name = name.replace('\n', " ");
            let reply = Reply::to_chat(ReplyKind::Reveal, samples::reveal_with(&name, &answer));
            let posts = render(&reply);
            let md: Vec<String> = posts
                .iter()
                .flat_map(|p| p.embeds.iter().map(|e| e.description.clone()).chain(p.content.clone()))
                .collect();
            let md = md.join("\n");
            // The user's text reaches Discord with every Markdown character escaped, in one piece.
            prop_assert!(md.contains(&literal(&name)), "{name:?} not escaped whole in {md:?}");
            prop_assert!(!has_bare_marker(&literal(&name)));
            for line in answer.lines().filter(|l| !l.trim().is_empty()) {
                prop_assert!(md.contains(&literal(line.trim())), "{line:?} not escaped whole in {md:?}");
            }
            prop_assert!(discord_shows(&md).contains(&name));
        }
    }

    fn within_limits(p: &Post) {
        if let Some(c) = &p.content {
            assert!(discord_len(c) <= MAX_CONTENT, "content {}", discord_len(c));
        }
        assert!(p.embeds.len() <= MAX_EMBEDS);
        let total: usize = p.embeds.iter().map(Embed::len).sum();
        assert!(total <= MAX_EMBED_TOTAL, "embeds total {total}");
        for e in &p.embeds {
            assert!(discord_len(&e.description) <= MAX_DESCRIPTION);
            assert!(e.title.as_deref().map_or(0, discord_len) <= MAX_TITLE);
        }
        assert!(p.buttons.len() <= MAX_ROW * MAX_ROW);
    }

    #[test]
    fn length_is_counted_in_characters_as_discord_counts_it() {
        // 1,800 emoji are 3,600 UTF-16 units (over Telegram's way of counting) but 1,800 characters: one message.
        let reply = Reply::to_chat(ReplyKind::Confirmation, "😀".repeat(1800));
        let posts = render(&reply);
        assert_eq!(posts.len(), 1);
        assert_eq!(discord_len(posts[0].content.as_deref().unwrap()), 1800);
        posts.iter().for_each(within_limits);
    }

    #[test]
    fn a_long_reveal_is_split_into_messages_within_every_limit_and_keeps_all_text() {
        let paragraph = "TCP 三次握手：SYN、SYN+ACK、ACK 🤝。".repeat(40);
        let body: Vec<String> = (0..30).map(|i| format!("{i}. {paragraph}")).collect();
        let text = format!("第 3 题 · 网络\n{}", body.join("\n\n"));
        let reply = Reply::to_chat(ReplyKind::Reveal, text.clone());
        let posts = render(&reply);
        assert!(posts.len() > 1, "expected several messages");
        for p in &posts {
            within_limits(p);
        }
        let joined: String = posts
            .iter()
            .flat_map(|p| p.embeds.iter())
            .map(|e| e.description.clone())
            .collect();
        for i in 0..30 {
            assert!(joined.contains(&format!("{i}. TCP")), "paragraph {i} lost");
        }
        assert_eq!(posts[0].embeds[0].title.as_deref(), Some("第 3 题 · 网络"));
    }

    #[test]
    fn buttons_go_under_the_last_message_five_to_a_row() {
        let buttons: Vec<Button> = "ABCDEFG"
            .chars()
            .map(|c| Button {
                label: c.to_string(),
                command: format!("/answer {c}"),
            })
            .collect();
        let reply =
            Reply::to_chat(ReplyKind::QuestionPost, "x\n".repeat(5000)).with_buttons(buttons);
        let posts = render(&reply);
        assert!(posts.len() > 1);
        assert!(
            posts[..posts.len() - 1]
                .iter()
                .all(|p| p.buttons.is_empty())
        );
        assert_eq!(posts.last().unwrap().buttons.len(), 7);
        assert_eq!(rows(&posts.last().unwrap().buttons).len(), 2);
    }

    #[test]
    fn confirmations_are_plain_content_and_an_empty_reply_still_sends_something() {
        let posts = render(&Reply::to_chat(ReplyKind::Confirmation, "已收到".into()));
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].content.as_deref(), Some("已收到"));
        assert!(posts[0].embeds.is_empty());
        let empty = render(&Reply::to_chat(ReplyKind::Info, String::new()));
        assert_eq!(empty.len(), 1);
        within_limits(&empty[0]);
    }
}
