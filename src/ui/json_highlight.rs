//! Syntax colours for JSON being typed. The tokenizer is lenient on purpose: the
//! text is half-written most of the time, so it never fails, and its tokens always
//! cover the whole text, so what is drawn is exactly what was typed.

use std::ops::Range;
use std::sync::Arc;

use egui::text::{ByteIndex, LayoutJob, LayoutSection, TextFormat};
use egui::{Color32, FontId, Galley, TextBuffer, TextStyle};

/// What a stretch of JSON text is, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A string followed by `:`, naming an object member.
    Key,
    /// Any other string, closed or not.
    String,
    /// A number, or anything that starts like one.
    Number,
    /// `true`, `false` or `null`.
    Literal,
    /// `{ } [ ] : ,`
    Punctuation,
    /// Spaces, tabs and line breaks.
    Whitespace,
    /// Anything JSON has no place for: a bare word, a stray character.
    Invalid,
}

/// One token: its kind and where it lies in the text, on `char` boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Byte range into the tokenized text.
    pub range: Range<usize>,
}

/// Splits `text` into tokens that cover it end to end, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let (kind, end) = match bytes[start] {
            b'"' => {
                let end = string_end(bytes, start);
                let kind = if followed_by_colon(bytes, end) {
                    TokenKind::Key
                } else {
                    TokenKind::String
                };
                (kind, end)
            }
            b'{' | b'}' | b'[' | b']' | b':' | b',' => (TokenKind::Punctuation, start + 1),
            b' ' | b'\t' | b'\n' | b'\r' => (
                TokenKind::Whitespace,
                run_end(bytes, start, |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')),
            ),
            b'-' | b'0'..=b'9' => (
                TokenKind::Number,
                run_end(bytes, start, |b| {
                    matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                }),
            ),
            b if b.is_ascii_alphabetic() => {
                let end = run_end(bytes, start, |b| b.is_ascii_alphanumeric() || b == b'_');
                let kind = match &text[start..end] {
                    "true" | "false" | "null" => TokenKind::Literal,
                    _ => TokenKind::Invalid,
                };
                (kind, end)
            }
            _ => {
                // Stepping by whole characters keeps every range on a char boundary.
                let width = text[start..].chars().next().map_or(1, char::len_utf8);
                (TokenKind::Invalid, start + width)
            }
        };
        tokens.push(Token {
            kind,
            range: start..end,
        });
        start = end;
    }
    tokens
}

/// The end of the string opening at `start`: after its closing quote, or, when it
/// is still being typed, at the end of its line. Every byte it stops on is ASCII,
/// so the end is always a char boundary.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start + 1;
    let mut escaped = false;
    while let Some(&byte) = bytes.get(end) {
        if byte == b'\n' {
            break;
        }
        end += 1;
        if escaped {
            escaped = false;
        } else if byte == b'\\' {
            escaped = true;
        } else if byte == b'"' {
            break;
        }
    }
    end
}

fn run_end(bytes: &[u8], start: usize, belongs: impl Fn(u8) -> bool) -> usize {
    bytes[start..]
        .iter()
        .position(|&byte| !belongs(byte))
        .map_or(bytes.len(), |offset| start + offset)
}

fn followed_by_colon(bytes: &[u8], from: usize) -> bool {
    bytes[from..]
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|&byte| byte == b':')
}

/// The colour of each token kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JsonColors {
    /// Object keys.
    pub key: Color32,
    /// String values.
    pub string: Color32,
    /// Numbers.
    pub number: Color32,
    /// `true`, `false`, `null`.
    pub literal: Color32,
    /// Brackets, colons and commas.
    pub punctuation: Color32,
    /// Whatever JSON has no place for.
    pub invalid: Color32,
}

impl JsonColors {
    /// Colours with enough contrast on egui's dark or light background.
    pub fn for_theme(dark_mode: bool) -> Self {
        // The palettes of VS Code's default dark and light themes: familiar to most
        // people reading JSON, and tuned for contrast on each background.
        if dark_mode {
            Self {
                key: Color32::from_rgb(0x9c, 0xdc, 0xfe),
                string: Color32::from_rgb(0xce, 0x91, 0x78),
                number: Color32::from_rgb(0xb5, 0xce, 0xa8),
                literal: Color32::from_rgb(0x56, 0x9c, 0xd6),
                punctuation: Color32::from_rgb(0xd4, 0xd4, 0xd4),
                invalid: Color32::from_rgb(0xf4, 0x47, 0x47),
            }
        } else {
            Self {
                key: Color32::from_rgb(0x04, 0x51, 0xa5),
                string: Color32::from_rgb(0xa3, 0x15, 0x15),
                number: Color32::from_rgb(0x09, 0x86, 0x58),
                literal: Color32::from_rgb(0x00, 0x00, 0xff),
                punctuation: Color32::from_rgb(0x3b, 0x3b, 0x3b),
                invalid: Color32::from_rgb(0xcd, 0x31, 0x31),
            }
        }
    }

    fn of(&self, kind: TokenKind) -> Color32 {
        match kind {
            TokenKind::Key => self.key,
            TokenKind::String => self.string,
            TokenKind::Number => self.number,
            TokenKind::Literal => self.literal,
            TokenKind::Punctuation | TokenKind::Whitespace => self.punctuation,
            TokenKind::Invalid => self.invalid,
        }
    }
}

/// `text` as a layout job coloured by token, not wrapped.
pub fn json_layout_job(text: &str, font_id: &FontId, colors: &JsonColors) -> LayoutJob {
    let mut sections: Vec<LayoutSection> = Vec::new();
    for token in tokens(text) {
        let color = colors.of(token.kind);
        // Blank space shows no colour, so it joins the section before it: fewer
        // sections make both the job's hash and the layout cheaper.
        if let Some(last) = sections.last_mut()
            && (last.format.color == color || token.kind == TokenKind::Whitespace)
        {
            last.byte_range.end = ByteIndex(token.range.end);
            continue;
        }
        sections.push(LayoutSection {
            leading_space: 0.0,
            byte_range: ByteIndex(token.range.start)..ByteIndex(token.range.end),
            format: TextFormat::simple(font_id.clone(), color),
        });
    }
    if sections.is_empty() {
        // An empty editor still needs the font, for the height of its one row.
        sections.push(LayoutSection {
            leading_space: 0.0,
            byte_range: ByteIndex(0)..ByteIndex(0),
            format: TextFormat::simple(font_id.clone(), colors.punctuation),
        });
    }
    LayoutJob {
        text: text.to_owned(),
        sections,
        ..LayoutJob::default()
    }
}

/// Builds jobs for [`layouter`]; egui keeps the last frame's results, so unchanged
/// text is not tokenized again.
#[derive(Default)]
struct Highlighter;

impl egui::cache::ComputerMut<(&str, &FontId, JsonColors), LayoutJob> for Highlighter {
    fn compute(&mut self, (text, font_id, colors): (&str, &FontId, JsonColors)) -> LayoutJob {
        json_layout_job(text, font_id, &colors)
    }
}

type HighlightCache = egui::cache::FrameCache<LayoutJob, Highlighter>;

/// A [`egui::TextEdit::layouter`] that colours JSON in the theme's colours.
pub fn layouter(ui: &egui::Ui, text: &dyn TextBuffer, wrap_width: f32) -> Arc<Galley> {
    let font_id = ui
        .style()
        .override_font_id
        .clone()
        .unwrap_or_else(|| TextStyle::Monospace.resolve(ui.style()));
    let colors = JsonColors::for_theme(ui.visuals().dark_mode);
    let mut job = ui.memory_mut(|memory| {
        memory
            .caches
            .cache::<HighlightCache>()
            .get((text.as_str(), &font_id, colors))
            .clone()
    });
    job.wrap.max_width = wrap_width;
    // As egui's own TextEdit does: trailing spaces vanishing while typing feels broken.
    job.keep_trailing_whitespace = true;
    let line_height =
        ui.fonts_mut(|fonts| fonts.row_height(&font_id)) + ui.spacing().extra_text_line_spacing;
    for section in &mut job.sections {
        section.format.line_height = Some(line_height);
    }
    ui.fonts_mut(|fonts| fonts.layout_job(job))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rebuilt(text: &str) -> String {
        tokens(text)
            .iter()
            .map(|token| &text[token.range.clone()])
            .collect()
    }

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokens(text)
            .into_iter()
            .filter(|token| token.kind != TokenKind::Whitespace)
            .map(|token| (token.kind, &text[token.range]))
            .collect()
    }

    #[test]
    fn tokens_rebuild_valid_invalid_unterminated_and_multibyte_text() {
        for text in [
            r#"{"aps": {"alert": "Hi", "badge": 1, "x": [true, false, null, -1.5e3]}}"#,
            r#"{"aps": {"alert": "Hi",}} trailing ~ garbage @"#,
            "{\"aps\": {\"alert\": \"still typing\n  }\n}",
            r#"{"a": "unterminated \"#,
            r#"{"grüße": "Köln ☕ 🚀", "日本": "語"} ✓ é"#,
            "",
            "\"",
            "\\",
            "tru",
        ] {
            assert_eq!(rebuilt(text), text);
        }
    }

    #[test]
    fn keys_strings_numbers_and_literals_are_told_apart() {
        assert_eq!(
            kinds(r#"{"k" : "v", "n": -1.5e3, "t": [true, nul]}"#),
            [
                (TokenKind::Punctuation, "{"),
                (TokenKind::Key, r#""k""#),
                (TokenKind::Punctuation, ":"),
                (TokenKind::String, r#""v""#),
                (TokenKind::Punctuation, ","),
                (TokenKind::Key, r#""n""#),
                (TokenKind::Punctuation, ":"),
                (TokenKind::Number, "-1.5e3"),
                (TokenKind::Punctuation, ","),
                (TokenKind::Key, r#""t""#),
                (TokenKind::Punctuation, ":"),
                (TokenKind::Punctuation, "["),
                (TokenKind::Literal, "true"),
                (TokenKind::Punctuation, ","),
                (TokenKind::Invalid, "nul"),
                (TokenKind::Punctuation, "]"),
                (TokenKind::Punctuation, "}"),
            ]
        );
    }

    #[test]
    fn an_unterminated_string_ends_at_its_line() {
        assert_eq!(
            kinds("{\"body\": \"half\n}"),
            [
                (TokenKind::Punctuation, "{"),
                (TokenKind::Key, "\"body\""),
                (TokenKind::Punctuation, ":"),
                (TokenKind::String, "\"half"),
                (TokenKind::Punctuation, "}"),
            ]
        );
        assert_eq!(kinds(r#""a \" b""#), [(TokenKind::String, r#""a \" b""#)]);
    }

    #[test]
    fn each_kind_gets_its_own_colour_in_the_job() {
        let text = r#"{"key": "value", "n": 42, "on": true}"#;
        for dark_mode in [false, true] {
            let colors = JsonColors::for_theme(dark_mode);
            let job = json_layout_job(text, &FontId::monospace(12.0), &colors);
            let color_of = |needle: &str| {
                let at = text.find(needle).expect("in the text");
                job.sections
                    .iter()
                    .find(|section| section.byte_range.contains(&ByteIndex(at)))
                    .map(|section| section.format.color)
            };
            assert_eq!(color_of("\"key\""), Some(colors.key));
            assert_eq!(color_of("\"value\""), Some(colors.string));
            assert_eq!(color_of("42"), Some(colors.number));
            assert_eq!(color_of("true"), Some(colors.literal));
            assert_eq!(color_of("{"), Some(colors.punctuation));
            let all = [
                colors.key,
                colors.string,
                colors.number,
                colors.literal,
                colors.punctuation,
                colors.invalid,
            ];
            for (i, a) in all.iter().enumerate() {
                assert!(all[i + 1..].iter().all(|b| a != b), "{all:?}");
            }
        }
        assert_ne!(JsonColors::for_theme(true), JsonColors::for_theme(false));
    }

    fn assert_job_covers(text: &str) {
        let job = json_layout_job(text, &FontId::monospace(12.0), &JsonColors::for_theme(true));
        assert_eq!(job.text, text);
        job.debug_sanity_check();
        for section in &job.sections {
            assert!(text.is_char_boundary(section.byte_range.end.0));
        }
    }

    proptest! {
        #[test]
        fn any_text_round_trips_through_tokens_and_job(text in any::<String>()) {
            prop_assert_eq!(rebuilt(&text), text.as_str());
            assert_job_covers(&text);
        }

        #[test]
        fn json_like_text_round_trips(text in r#"[{}\[\]:,"\\ \n0-9a-z.eE+\-é☕]{0,64}"#) {
            prop_assert_eq!(rebuilt(&text), text.as_str());
            assert_job_covers(&text);
        }
    }
}
