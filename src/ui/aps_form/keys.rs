//! The keys of the `aps` dictionary that the form edits, as a table: each field
//! names its key and how it is edited, so one widget per kind draws them all.
//! Pure: values are read from and written into the payload's JSON object, one key
//! at a time, leaving custom keys and key order alone.

use serde_json::{Map, Value};

/// Which dictionary a key lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// `aps` itself.
    Aps,
    /// `aps.alert`; a string alert counts as its `body`.
    Alert,
}

/// Keys edited as text, and how that text becomes JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Typed {
    /// A string.
    Text,
    /// A whole number, 0 or more, such as the badge.
    Count,
    /// A moment in UNIX seconds, written as an integer.
    UnixTime,
    /// A number from 0 to 1, written as a float.
    Fraction,
    /// Comma-separated text, written as an array of strings.
    List,
    /// A JSON object, typed as JSON.
    Object,
    /// The sound's name, whether `sound` is a string or a critical alert's dictionary.
    SoundName,
    /// The `volume` of a critical alert's `sound` dictionary.
    SoundVolume,
}

/// Keys edited with a checkbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// `1` when on, no key when off.
    Flag,
    /// `sound` as `{"critical":1,"name":..,"volume":..}` when on, a plain string when off.
    CriticalSound,
}

/// How a field edits its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Typed into a text field.
    Typed(Typed),
    /// Ticked in a checkbox.
    Check(Check),
    /// One of these strings, or no key ("none").
    Choice(&'static [&'static str]),
}

/// One field of the form: its label and the key it edits.
#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    /// What the user reads, and what UI tests find the widget by; unique in the form.
    pub(super) label: &'static str,
    place: Place,
    key: &'static str,
    pub(super) kind: Kind,
}

const fn aps(key: &'static str, kind: Kind) -> Field {
    Field {
        label: key,
        place: Place::Aps,
        key,
        kind,
    }
}

const fn alert(key: &'static str, kind: Kind) -> Field {
    Field {
        label: key,
        place: Place::Alert,
        key,
        kind,
    }
}

impl Field {
    const fn labelled(self, label: &'static str) -> Self {
        Self { label, ..self }
    }
}

const TEXT: Kind = Kind::Typed(Typed::Text);
const LIST: Kind = Kind::Typed(Typed::List);
const UNIX_TIME: Kind = Kind::Typed(Typed::UnixTime);
const OBJECT: Kind = Kind::Typed(Typed::Object);
const FLAG: Kind = Kind::Check(Check::Flag);

/// The fields always shown, row by row.
pub(super) const COMMON_ROWS: &[&[Field]] = &[
    &[
        alert("title", TEXT).labelled("Title"),
        alert("subtitle", TEXT).labelled("Subtitle"),
    ],
    &[
        alert("body", TEXT).labelled("Body"),
        aps("badge", Kind::Typed(Typed::Count)).labelled("Badge"),
    ],
    &[
        aps("sound", Kind::Typed(Typed::SoundName)).labelled("Sound"),
        aps("thread-id", TEXT).labelled("Thread id"),
    ],
    &[
        aps("category", TEXT).labelled("Category"),
        aps("content-available", FLAG),
        aps("mutable-content", FLAG),
    ],
];

/// A group of rarer fields, shown when its toggle is on.
pub(super) struct Section {
    pub(super) title: &'static str,
    pub(super) fields: &'static [Field],
}

pub(super) const SECTIONS: &[Section] = &[
    Section {
        title: "Alert localisation",
        fields: &[
            alert("title-loc-key", TEXT),
            alert("title-loc-args", LIST),
            alert("subtitle-loc-key", TEXT),
            alert("subtitle-loc-args", LIST),
            alert("loc-key", TEXT),
            alert("loc-args", LIST),
            alert("action-loc-key", TEXT),
            alert("launch-image", TEXT),
            // Deprecated by Apple in iOS 15, still sent by older providers being tested.
            alert("summary-arg", TEXT),
            alert("summary-arg-count", Kind::Typed(Typed::Count)),
        ],
    },
    Section {
        title: "Delivery",
        fields: &[
            aps(
                "interruption-level",
                Kind::Choice(&["passive", "active", "time-sensitive", "critical"]),
            ),
            aps("relevance-score", Kind::Typed(Typed::Fraction)),
            aps("sound", Kind::Check(Check::CriticalSound)).labelled("critical sound"),
            aps("sound", Kind::Typed(Typed::SoundVolume)).labelled("sound volume"),
            aps("target-content-id", TEXT),
            aps("filter-criteria", TEXT),
            aps("url-args", LIST),
        ],
    },
    Section {
        title: "Live Activity",
        fields: &[
            aps("event", Kind::Choice(&["update", "end", "start"])),
            aps("timestamp", UNIX_TIME),
            aps("content-state", OBJECT),
            aps("stale-date", UNIX_TIME),
            aps("dismissal-date", UNIX_TIME),
            aps("attributes-type", TEXT),
            aps("attributes", OBJECT),
            aps("input-push-token", FLAG),
            aps("input-push-channel", TEXT),
        ],
    },
];

/// What a choice shows for "no key".
pub(super) const NO_CHOICE: &str = "none";

/// The key's value for an option picked from a choice.
pub(super) fn choice_value(option: String) -> Option<Value> {
    (option != NO_CHOICE).then_some(Value::String(option))
}

/// The name a critical sound gets when none was typed, as Apple's "default" sound.
const DEFAULT_SOUND: &str = "default";

/// Why typed text was not written: each variant is what the field takes, with its label.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(super) enum FieldError {
    #[error("{0} takes a whole number, 0 or more")]
    WholeNumber(&'static str),
    #[error("{0} takes UNIX seconds, a whole number")]
    UnixSeconds(&'static str),
    #[error("{0} takes a number from 0 to 1")]
    ZeroToOne(&'static str),
    #[error("{label} takes a JSON object: {reason}")]
    JsonObject { label: &'static str, reason: String },
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(value) => {
            map.insert(key.to_owned(), value);
        }
        // `remove` would swap the last key into the hole; shifting keeps the order.
        None => {
            map.shift_remove(key);
        }
    }
}

/// The object at `map[key]`, or a new one if it is missing or something else.
/// A taken key keeps its place, so putting the object back leaves the order alone.
fn take_object(map: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    match map.get_mut(key).map(Value::take) {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    }
}

/// A JSON value as a user would type it: strings without their quotes.
pub(super) fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl Field {
    /// The key's value in `root`, if it has one.
    pub(super) fn get<'a>(&self, root: &'a Map<String, Value>) -> Option<&'a Value> {
        let aps = root.get("aps")?.as_object()?;
        match (self.place, aps.get("alert")) {
            (Place::Aps, _) => aps.get(self.key),
            (Place::Alert, Some(body @ Value::String(_))) if self.key == "body" => Some(body),
            (Place::Alert, Some(Value::Object(alert))) => alert.get(self.key),
            (Place::Alert, _) => None,
        }
    }

    /// Sets the key in `root` (`None` removes it), leaving every other key where it was.
    pub(super) fn set(&self, root: &mut Map<String, Value>, value: Option<Value>) {
        if value.is_none() && self.get(root).is_none() {
            return;
        }
        let mut aps = take_object(root, "aps");
        match self.place {
            Place::Aps => put(&mut aps, self.key, value),
            Place::Alert => set_in_alert(&mut aps, self.key, value),
        }
        root.insert("aps".to_owned(), Value::Object(aps));
    }

    /// Whether the field shows anything for `root`, so that its section starts open.
    pub(super) fn shows_a_value(&self, root: &Map<String, Value>) -> bool {
        let value = self.get(root);
        match self.kind {
            Kind::Typed(typed) => !typed.text(value).is_empty(),
            Kind::Check(check) => check.is_on(value),
            Kind::Choice(_) => value.is_some(),
        }
    }

    /// Writes `text` typed into the field, returning whether the JSON changed.
    /// Text that does not parse leaves `root` as it was.
    pub(super) fn write_typed(
        &self,
        typed: Typed,
        root: &mut Map<String, Value>,
        text: &str,
    ) -> Result<bool, FieldError> {
        let current = self.get(root);
        let value = typed.parse(self.label, text, current)?;
        if value.as_ref() == current {
            return Ok(false);
        }
        self.set(root, value);
        Ok(true)
    }
}

fn set_in_alert(aps: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    // A string alert is its body, and stays a string while only the body changes.
    if key == "body" && aps.get("alert").is_some_and(Value::is_string) {
        return put(aps, "alert", value);
    }
    let mut alert = match aps.get_mut("alert").map(Value::take) {
        Some(Value::Object(alert)) => alert,
        Some(Value::String(body)) => Map::from_iter([("body".to_owned(), Value::String(body))]),
        _ => Map::new(),
    };
    put(&mut alert, key, value);
    put(
        aps,
        "alert",
        (!alert.is_empty()).then_some(Value::Object(alert)),
    );
}

impl Typed {
    /// A hint shown in the empty field.
    pub(super) fn hint(self) -> &'static str {
        match self {
            Self::Text | Self::SoundName => "",
            Self::Count => "0 or more",
            Self::UnixTime => "UNIX seconds",
            Self::Fraction | Self::SoundVolume => "0 to 1",
            Self::List => "comma-separated",
            Self::Object => "{ JSON object }",
        }
    }

    /// What the field shows for the key's `value`.
    pub(super) fn text(self, value: Option<&Value>) -> String {
        let Some(value) = value else {
            return String::new();
        };
        match (self, value) {
            (Self::List, Value::Array(items)) => {
                items.iter().map(plain).collect::<Vec<_>>().join(", ")
            }
            (Self::SoundName, Value::Object(sound)) => {
                sound.get("name").map(plain).unwrap_or_default()
            }
            (Self::SoundVolume, Value::Object(sound)) => {
                sound.get("volume").map(plain).unwrap_or_default()
            }
            (Self::SoundVolume, _) => String::new(),
            _ => plain(value),
        }
    }

    /// The key's new value for `text` typed over `current`; `None` removes the key.
    fn parse(
        self,
        label: &'static str,
        text: &str,
        current: Option<&Value>,
    ) -> Result<Option<Value>, FieldError> {
        let trimmed = text.trim();
        // The sound's name and volume live inside `sound`: emptying them edits it.
        if trimmed.is_empty() && !matches!(self, Self::SoundName | Self::SoundVolume) {
            return Ok(None);
        }
        Ok(Some(match self {
            Self::Text => Value::String(text.to_owned()),
            Self::Count => trimmed
                .parse::<u64>()
                .map_err(|_| FieldError::WholeNumber(label))?
                .into(),
            Self::UnixTime => trimmed
                .parse::<u64>()
                .map_err(|_| FieldError::UnixSeconds(label))?
                .into(),
            Self::Fraction => fraction(label, trimmed)?.into(),
            Self::List => Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::String(item.to_owned()))
                    .collect(),
            ),
            Self::Object => serde_json::from_str::<Map<String, Value>>(text)
                .map(Value::Object)
                .map_err(|error| FieldError::JsonObject {
                    label,
                    reason: error.to_string(),
                })?,
            Self::SoundName => match current {
                Some(Value::Object(sound)) => {
                    let name = if trimmed.is_empty() {
                        DEFAULT_SOUND
                    } else {
                        text
                    };
                    let mut sound = sound.clone();
                    put(&mut sound, "name", Some(name.into()));
                    Value::Object(sound)
                }
                _ if trimmed.is_empty() => return Ok(None),
                _ => Value::String(text.to_owned()),
            },
            Self::SoundVolume => match current {
                Some(Value::Object(sound)) => {
                    let volume = if trimmed.is_empty() {
                        None
                    } else {
                        Some(fraction(label, trimmed)?.into())
                    };
                    let mut sound = sound.clone();
                    put(&mut sound, "volume", volume);
                    Value::Object(sound)
                }
                // The field is disabled unless the sound is critical: nothing to change.
                _ => return Ok(current.cloned()),
            },
        }))
    }
}

fn fraction(label: &'static str, text: &str) -> Result<f64, FieldError> {
    text.parse::<f64>()
        .ok()
        .filter(|number| (0.0..=1.0).contains(number))
        .ok_or(FieldError::ZeroToOne(label))
}

fn is_one(value: Option<&Value>) -> bool {
    value.is_some_and(|value| value == 1)
}

impl Check {
    pub(super) fn is_on(self, value: Option<&Value>) -> bool {
        match (self, value) {
            (Self::Flag, _) => is_one(value),
            (Self::CriticalSound, Some(Value::Object(sound))) => is_one(sound.get("critical")),
            (Self::CriticalSound, _) => false,
        }
    }

    /// The key's value once the box is ticked (`on`) or cleared.
    pub(super) fn toggled(self, on: bool, current: Option<&Value>) -> Option<Value> {
        match self {
            Self::Flag => on.then(|| 1.into()),
            Self::CriticalSound => {
                let name = Typed::SoundName.text(current);
                if !on {
                    return (!name.is_empty()).then_some(Value::String(name));
                }
                let mut sound = match current {
                    Some(Value::Object(sound)) => sound.clone(),
                    _ => Map::new(),
                };
                put(&mut sound, "critical", Some(1.into()));
                if name.is_empty() {
                    put(&mut sound, "name", Some(DEFAULT_SOUND.into()));
                } else if !sound.contains_key("name") {
                    put(&mut sound, "name", Some(name.into()));
                }
                if !sound.contains_key("volume") {
                    put(&mut sound, "volume", Some(1.0.into()));
                }
                Some(Value::Object(sound))
            }
        }
    }
}

/// The field labelled `label`, from the table.
#[cfg(test)]
pub(super) fn field(label: &str) -> Field {
    COMMON_ROWS
        .iter()
        .flat_map(|row| row.iter())
        .chain(SECTIONS.iter().flat_map(|section| section.fields))
        .find(|field| field.label == label)
        .copied()
        .unwrap_or_else(|| panic!("no field labelled {label}"))
}

/// The typed-into field labelled `label`, from the table.
#[cfg(test)]
pub(super) fn typed_field(label: &str) -> (Field, Typed) {
    let field = field(label);
    match field.kind {
        Kind::Typed(typed) => (field, typed),
        _ => panic!("{label} is not typed into"),
    }
}

#[cfg(test)]
mod tests;
