//! The design system: semantic colours for the light and dark themes, a spacing scale, a
//! type scale, sizes, an icon font, and the few styled widgets every view draws with
//! (primary button, status chip, problem and warning text). Views name what a thing *is*
//! (a rejection, a warning, Production); this module decides how that looks.

use egui::{Color32, CornerRadius, FontData, FontDefinitions, FontFamily, FontId, RichText};
use egui::{Response, Stroke, TextStyle, Ui, Vec2};

/// What a piece of status is, whichever theme draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Accepted, healthy, within limits.
    Accepted,
    /// Refused by the server; an error the user must act on.
    Rejected,
    /// No answer came, or it never left: as serious as a rejection, for another reason.
    Failed,
    /// Sent, and nothing proves it arrived.
    Unconfirmed,
    /// Close to a limit, expiring soon, retried: worth a look.
    Warning,
    /// Real devices receive this.
    Production,
    /// The one thing to do next (the primary button, links, selection).
    Accent,
    /// Cancelled, not applicable, in flight: no judgement.
    Neutral,
}

impl Tone {
    /// Every tone, for tests and swatches.
    pub const ALL: [Tone; 8] = [
        Tone::Accepted,
        Tone::Rejected,
        Tone::Failed,
        Tone::Unconfirmed,
        Tone::Warning,
        Tone::Production,
        Tone::Accent,
        Tone::Neutral,
    ];

    /// Its text colour on the theme's panels.
    pub fn text(self, dark: bool) -> Color32 {
        let (light, night) = match self {
            Tone::Accepted => (rgb(0x15803d), rgb(0x4ade80)),
            Tone::Rejected => (rgb(0xb91c1c), rgb(0xf87171)),
            Tone::Failed => (rgb(0xc2410c), rgb(0xfb923c)),
            Tone::Unconfirmed => (rgb(0x7e22ce), rgb(0xc084fc)),
            Tone::Warning => (rgb(0xa16207), rgb(0xfacc15)),
            Tone::Production => (rgb(0xbe123c), rgb(0xfb7185)),
            Tone::Accent => (rgb(0x1d4ed8), rgb(0x60a5fa)),
            Tone::Neutral => (rgb(0x52525b), rgb(0xa1a1aa)),
        };
        if dark { night } else { light }
    }

    /// The icon that marks it.
    pub fn icon(self) -> &'static str {
        match self {
            Tone::Accepted => icon::ACCEPTED,
            Tone::Rejected => icon::REJECTED,
            Tone::Failed | Tone::Warning | Tone::Production => icon::WARNING,
            Tone::Unconfirmed => icon::UNCONFIRMED,
            Tone::Accent => icon::LINK,
            Tone::Neutral => icon::NOT_SENT,
        }
    }

    /// A fill behind a chip of this tone: the text colour, faint.
    pub fn fill(self, dark: bool) -> Color32 {
        self.text(dark)
            .gamma_multiply(if dark { 0.22 } else { 0.14 })
    }

    /// The fill of a solid button of this tone, under white text: the same in both themes,
    /// saturated enough to carry white.
    pub fn solid(self) -> Color32 {
        match self {
            Tone::Accent => rgb(0x1d4ed8),
            Tone::Production | Tone::Rejected => rgb(0xbe123c),
            other => other.text(false),
        }
    }
}

const fn rgb(hex: u32) -> Color32 {
    Color32::from_rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

/// The theme's panel colour, the background text and chips are read against.
pub fn panel(dark: bool) -> Color32 {
    if dark { rgb(0x18181b) } else { rgb(0xfafafa) }
}

/// The spacing scale, in points: every gap in every view is one of these.
pub mod space {
    /// Between a label and its field.
    pub const XS: f32 = 4.0;
    /// Between controls in a row.
    pub const S: f32 = 8.0;
    /// Between groups in a row.
    pub const M: f32 = 12.0;
    /// Between sections.
    pub const L: f32 = 20.0;
}

/// Sizes that views share, so none is written in a view.
pub mod size {
    /// A table row.
    pub const ROW: f32 = 20.0;
    /// A button or a text field.
    pub const CONTROL: f32 = 18.0;
    /// A table header.
    pub const HEADER: f32 = 22.0;
    /// A label column in a form.
    pub const LABEL: f32 = 70.0;
    /// A text field for a few digits.
    pub const FIELD_XS: f32 = 60.0;
    /// A short text field: a number, an id, a port.
    pub const FIELD_S: f32 = 110.0;
    /// A text field for a name, a host:port, a filter.
    pub const FIELD_M: f32 = 160.0;
    /// A text field for a path.
    pub const FIELD_L: f32 = 360.0;
    /// A text field for a value that may be long (a JSON value, a localisation key).
    pub const FIELD_XL: f32 = 300.0;
    /// A progress bar.
    pub const PROGRESS: f32 = 240.0;
    /// The Send view's sidebar.
    pub const SIDEBAR: f32 = 220.0;
    /// The detail pane beside a table.
    pub const DETAIL: f32 = 460.0;
    /// The notification preview: about an iPhone's notification width.
    pub const PREVIEW: f32 = 340.0;
    /// A time column.
    pub const TIME: f32 = 200.0;
    /// A shortened token column.
    pub const TOKEN: f32 = 150.0;
    /// An apns-id column.
    pub const ID: f32 = 270.0;
    /// A status or count column.
    pub const STATUS: f32 = 100.0;
    /// A name column (identity, endpoint, reason).
    pub const NAME: f32 = 160.0;
    /// The height of the primary button.
    pub const PRIMARY_HEIGHT: f32 = 32.0;
    /// The most a pasted token list grows before it scrolls in place.
    pub const TOKENS_HEIGHT: f32 = 110.0;
    /// The answers pane under the composer, until the user drags it.
    pub const RESULTS_HEIGHT: f32 = 220.0;
}

/// The type scale.
pub mod text {
    /// View and section titles.
    pub const HEADING: f32 = 18.0;
    /// Everything people read.
    pub const BODY: f32 = 13.0;
    /// Buttons.
    pub const BUTTON: f32 = 13.0;
    /// Tokens, ids, JSON, paths.
    pub const MONO: f32 = 12.5;
    /// Hints, counts, chips.
    pub const SMALL: f32 = 11.5;
}

/// Icons of the Phosphor font (regular weight), by what they stand for.
pub mod icon {
    /// Accepted.
    pub const ACCEPTED: &str = "\u{E184}";
    /// Rejected.
    pub const REJECTED: &str = "\u{E4F8}";
    /// Failed, a warning.
    pub const WARNING: &str = "\u{E4E0}";
    /// Unconfirmed.
    pub const UNCONFIRMED: &str = "\u{E602}";
    /// Not sent, cancelled.
    pub const NOT_SENT: &str = "\u{E3DE}";
    /// Copy.
    pub const COPY: &str = "\u{E1CA}";
    /// A link to something else.
    pub const LINK: &str = "\u{E2E2}";
    /// A sound.
    pub const SOUND: &str = "\u{E44A}";
}

/// The icon font, bundled so every platform draws the same icons (MIT, see
/// `assets/fonts/LICENSE-Phosphor.txt`).
const ICON_FONT: &[u8] = include_bytes!("../../assets/fonts/Phosphor.ttf");
/// The text font: Inter reads well at small sizes, where egui's own light font thins out.
const TEXT_FONT: &[u8] = include_bytes!("../../assets/fonts/Inter-Regular.otf");
/// Its semibold weight, for titles and emphasis (egui bundles a single weight).
const BOLD_FONT: &[u8] = include_bytes!("../../assets/fonts/Inter-SemiBold.otf");

/// The icon font alone.
pub fn icon_family() -> FontFamily {
    FontFamily::Name("icons".into())
}

/// The text font's bold weight, with the same fallbacks as the body text.
pub fn bold_family() -> FontFamily {
    FontFamily::Name("bold".into())
}

/// Installs the fonts, the type scale, the spacing and the colours in both themes.
pub fn install(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    for (name, data) in [
        ("phosphor", ICON_FONT),
        ("inter", TEXT_FONT),
        ("inter-semibold", BOLD_FONT),
    ] {
        fonts
            .font_data
            .insert(name.into(), FontData::from_static(data).into());
    }
    let proportional = fonts.families.entry(FontFamily::Proportional).or_default();
    proportional.insert(0, "inter".into());
    let mut bold = proportional.clone();
    bold[0] = "inter-semibold".into();
    fonts.families.insert(bold_family(), bold);
    for family in [
        FontFamily::Proportional,
        FontFamily::Monospace,
        bold_family(),
    ] {
        // After the text font, so it only draws what that font has no glyph for, and
        // before egui's emoji fonts, which use some of the same private codepoints.
        let keys = fonts.families.entry(family).or_default();
        let at = keys.len().min(1);
        keys.insert(at, "phosphor".into());
    }
    fonts
        .families
        .insert(icon_family(), vec!["phosphor".into()]);
    ctx.set_fonts(fonts);
    for theme in [egui::Theme::Light, egui::Theme::Dark] {
        ctx.style_mut_of(theme, |style| style_for(style, theme == egui::Theme::Dark));
    }
}

fn style_for(style: &mut egui::Style, dark: bool) {
    use FontFamily::{Monospace, Proportional};
    style.text_styles = [
        (
            TextStyle::Heading,
            FontId::new(text::HEADING, bold_family()),
        ),
        (TextStyle::Body, FontId::new(text::BODY, Proportional)),
        (TextStyle::Button, FontId::new(text::BUTTON, Proportional)),
        (TextStyle::Monospace, FontId::new(text::MONO, Monospace)),
        (TextStyle::Small, FontId::new(text::SMALL, Proportional)),
    ]
    .into();
    style.spacing.item_spacing = Vec2::new(space::S, space::XS);
    style.spacing.button_padding = Vec2::new(space::S, space::XS / 2.0);
    style.spacing.interact_size.y = size::CONTROL;
    let visuals = &mut style.visuals;
    visuals.panel_fill = panel(dark);
    visuals.window_fill = panel(dark);
    visuals.hyperlink_color = Tone::Accent.text(dark);
    visuals.warn_fg_color = Tone::Warning.text(dark);
    visuals.error_fg_color = Tone::Rejected.text(dark);
    visuals.selection.bg_fill = Tone::Accent.fill(dark);
    visuals.selection.stroke = Stroke::new(1.0, Tone::Accent.text(dark));
    visuals.window_corner_radius = CornerRadius::same(8);
    // Text fields stand off the panel: their own fill, and an edge to see them by.
    visuals.extreme_bg_color = if dark { rgb(0x09090b) } else { Color32::WHITE };
    visuals.widgets.inactive.bg_stroke =
        Stroke::new(1.0, if dark { rgb(0x3f3f46) } else { rgb(0xd4d4d8) });
    for widget in [
        &mut visuals.widgets.inactive,
        &mut visuals.widgets.hovered,
        &mut visuals.widgets.active,
        &mut visuals.widgets.open,
        &mut visuals.widgets.noninteractive,
    ] {
        widget.corner_radius = CornerRadius::same(5);
    }
}

fn dark(ui: &Ui) -> bool {
    ui.visuals().dark_mode
}

/// `text` in `tone`'s colour.
pub fn toned(ui: &Ui, text: impl Into<String>, tone: Tone) -> RichText {
    RichText::new(text).color(tone.text(dark(ui)))
}

/// A problem the user must act on, in words, marked with its icon (a separate glyph, so
/// the words alone are the accessible label).
pub fn problem(ui: &mut Ui, text: impl Into<String>) -> Response {
    marked(ui, text.into(), Tone::Rejected)
}

/// Something worth a look, in words, marked with its icon.
pub fn warning(ui: &mut Ui, text: impl Into<String>) -> Response {
    marked(ui, text.into(), Tone::Warning)
}

fn marked(ui: &mut Ui, text: String, tone: Tone) -> Response {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = space::XS;
        ui.label(icon_text(tone.icon()).color(tone.text(dark(ui))));
        ui.label(toned(ui, text, tone))
    })
    .inner
}

/// An icon as text of the icon font.
pub fn icon_text(icon: &str) -> RichText {
    RichText::new(icon).family(icon_family())
}

/// Text that stands out: the bold weight in the strong colour.
pub fn strong(text: impl Into<String>) -> RichText {
    RichText::new(text).family(bold_family()).strong()
}

/// Supporting text: hints, counts, where things are.
pub fn quiet(text: impl Into<String>) -> RichText {
    RichText::new(text).weak()
}

/// A small rounded label naming a status, tinted by its tone; its text is its accessible
/// label.
pub fn chip(ui: &mut Ui, text: &str, tone: Tone) -> Response {
    let dark = dark(ui);
    egui::Frame::new()
        .fill(tone.fill(dark))
        .corner_radius(CornerRadius::same(8))
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = space::XS;
                ui.label(
                    icon_text(tone.icon())
                        .size(text::SMALL)
                        .color(tone.text(dark)),
                );
                ui.label(strong(text).size(text::SMALL).color(tone.text(dark)))
            })
            .inner
        })
        .inner
}

/// The tone of a button that sends: Production's red where real devices receive it, the
/// accent otherwise; never the green that means accepted.
pub fn send_tone(production: bool) -> Tone {
    if production {
        Tone::Production
    } else {
        Tone::Accent
    }
}

/// The mark beside a send to Production.
pub fn production_chip(ui: &mut Ui) -> Response {
    chip(
        ui,
        "PRODUCTION: real devices receive this",
        Tone::Production,
    )
}

/// The one button a view is for (Send): solid, in the accent colour, or in Production's
/// when real devices receive what it does.
pub fn primary_button(ui: &mut Ui, text: &str, tone: Tone, enabled: bool) -> Response {
    let fill = tone.solid();
    let label = strong(text).color(Color32::WHITE);
    ui.add_enabled(
        enabled,
        egui::Button::new(label)
            .fill(fill)
            .min_size(Vec2::new(0.0, size::PRIMARY_HEIGHT))
            .corner_radius(CornerRadius::same(6)),
    )
}

/// A small button that copies `value` to the clipboard; its accessible label is "Copy
/// `what`". True when clicked.
/// A table that scrolls sideways when its columns are wider than the room it has (beside
/// a detail panel, in a narrow window), instead of drawing past its edge.
pub fn wide_table<R>(ui: &mut Ui, salt: &str, table: impl FnOnce(&mut Ui) -> R) -> R {
    egui::ScrollArea::horizontal()
        .id_salt((salt, "sideways"))
        .auto_shrink(false)
        .show(ui, table)
        .inner
}

/// A monospace editor for JSON or token lists, `rows` high. Tab moves on, as in every
/// other field: a code editor's default of keeping the focus traps keyboard users.
pub fn code_field(text: &mut dyn egui::TextBuffer, rows: usize) -> egui::TextEdit<'_> {
    egui::TextEdit::multiline(text)
        .code_editor()
        .lock_focus(false)
        .desired_rows(rows)
}

pub fn copy_button(ui: &mut Ui, what: &str, value: &str) -> bool {
    let response = ui
        .small_button(icon_text(icon::COPY))
        .on_hover_text(format!("Copy the {what}"));
    let label = format!("Copy {what}");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    let clicked = response.clicked();
    if clicked {
        ui.ctx().copy_text(value.to_owned());
    }
    clicked
}

/// WCAG's contrast ratio between two colours (1 to 21).
pub fn contrast(a: Color32, b: Color32) -> f32 {
    fn luminance(color: Color32) -> f32 {
        let channel = |value: u8| {
            let value = f32::from(value) / 255.0;
            if value <= 0.039_28 {
                value / 12.92
            } else {
                ((value + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(color.r()) + 0.7152 * channel(color.g()) + 0.0722 * channel(color.b())
    }
    let (a, b) = (luminance(a), luminance(b));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tone_reads_on_its_theme_and_white_reads_on_solid_buttons() {
        for dark in [false, true] {
            for tone in Tone::ALL {
                let ratio = contrast(tone.text(dark), panel(dark));
                // WCAG AA for text: 4.5:1.
                assert!(ratio >= 4.5, "{tone:?} text, dark {dark}: {ratio:.2}");
                let chip = contrast(tone.text(dark), blend(tone.fill(dark), panel(dark)));
                assert!(chip >= 3.0, "{tone:?} chip, dark {dark}: {chip:.2}");
            }
            for tone in [Tone::Accent, Tone::Production] {
                let ratio = contrast(Color32::WHITE, tone.solid());
                assert!(ratio >= 4.5, "{tone:?} button: {ratio:.2}");
            }
        }
    }

    /// `over` (premultiplied) painted on the opaque `under`.
    fn blend(over: Color32, under: Color32) -> Color32 {
        let alpha = f32::from(over.a()) / 255.0;
        let mix = |o: u8, u: u8| (f32::from(o) + f32::from(u) * (1.0 - alpha)).round() as u8;
        Color32::from_rgb(
            mix(over.r(), under.r()),
            mix(over.g(), under.g()),
            mix(over.b(), under.b()),
        )
    }

    #[test]
    fn the_icon_font_has_every_icon_named() {
        let ctx = egui::Context::default();
        install(&ctx);
        // Fonts load at the start of a frame; its textures are not needed here.
        let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
        output.textures_delta.clear();
        let icons = FontId::new(text::BODY, icon_family());
        for icon in [
            icon::ACCEPTED,
            icon::REJECTED,
            icon::WARNING,
            icon::UNCONFIRMED,
            icon::NOT_SENT,
            icon::COPY,
            icon::LINK,
            icon::SOUND,
        ] {
            let character = icon.chars().next().unwrap_or_default();
            assert!(
                ctx.fonts_mut(|fonts| fonts.has_glyph(&icons, character)),
                "no glyph for U+{:04X}",
                character as u32
            );
        }
        assert!(
            !ctx.fonts_mut(|fonts| fonts.has_glyph(&icons, 'Ж')),
            "a character Phosphor has no glyph for is not found, so the check can fail"
        );
    }

    #[test]
    fn emoji_in_a_payload_draw_in_the_preview_and_the_json() {
        let ctx = egui::Context::default();
        install(&ctx);
        let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
        output.textures_delta.clear();
        // Pushes are full of these; a box in their place would misstate what is sent.
        for family in [
            FontFamily::Proportional,
            FontFamily::Monospace,
            bold_family(),
        ] {
            let font = FontId::new(text::BODY, family.clone());
            for emoji in ['🎉', '🔥', '✅', '📦', '❤'] {
                assert!(
                    ctx.fonts_mut(|fonts| fonts.has_glyph(&font, emoji)),
                    "{family:?} draws no U+{:04X}",
                    emoji as u32
                );
            }
        }
    }
}
