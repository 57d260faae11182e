//! The key table's reads and writes against payload JSON.

use super::super::object as root;
use super::*;

fn json(root: &Map<String, Value>) -> String {
    Value::Object(root.clone()).to_string()
}

/// Types `text` into the field labelled `label`.
fn type_into(root: &mut Map<String, Value>, label: &str, text: &str) -> Result<bool, String> {
    let (field, typed) = typed_field(label);
    field
        .write_typed(typed, root, text)
        .map_err(|error| error.to_string())
}

/// What the field labelled `label` shows for `root`.
fn shown(root: &Map<String, Value>, label: &str) -> String {
    let (field, typed) = typed_field(label);
    typed.text(field.get(root))
}

fn check(root: &mut Map<String, Value>, label: &str, on: bool) {
    let field = field(label);
    let Kind::Check(check) = field.kind else {
        panic!("{label} is not a checkbox")
    };
    let value = check.toggled(on, field.get(root));
    field.set(root, value);
}

fn is_checked(root: &Map<String, Value>, label: &str) -> bool {
    let field = field(label);
    matches!(field.kind, Kind::Check(check) if check.is_on(field.get(root)))
}

#[test]
fn labels_are_unique_so_ui_tests_can_find_each_field() {
    let mut labels: Vec<&str> = COMMON_ROWS
        .iter()
        .flat_map(|row| row.iter())
        .chain(SECTIONS.iter().flat_map(|section| section.fields))
        .map(|field| field.label)
        .collect();
    let count = labels.len();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), count);
}

#[test]
fn reads_string_and_dictionary_alerts() {
    let map = root(r#"{"aps":{"alert":"Hi","badge":0,"content-available":1}}"#);
    assert_eq!(
        (shown(&map, "Body"), shown(&map, "Badge")),
        ("Hi".into(), "0".into())
    );
    assert_eq!(shown(&map, "Title"), "");
    assert!(is_checked(&map, "content-available"));
    let map = root(r#"{"aps":{"alert":{"title":"T","body":"B","loc-args":["a",2]}}}"#);
    assert_eq!(shown(&map, "Title"), "T");
    assert_eq!(shown(&map, "Body"), "B");
    assert_eq!(shown(&map, "loc-args"), "a, 2");
}

#[test]
fn writes_only_what_changed_and_keeps_custom_keys_and_order() {
    let mut map =
        root(r#"{"id":7,"aps":{"alert":"Hi","x-custom":true,"badge":2,"sound":"a"},"z":[1]}"#);
    assert_eq!(type_into(&mut map, "Title", "Sale"), Ok(true));
    assert_eq!(type_into(&mut map, "Badge", ""), Ok(true));
    assert_eq!(type_into(&mut map, "loc-key", "GREETING"), Ok(true));
    assert_eq!(type_into(&mut map, "Sound", "a"), Ok(false), "unchanged");
    check(&mut map, "mutable-content", true);
    assert_eq!(
        json(&map),
        r#"{"id":7,"aps":{"alert":{"body":"Hi","title":"Sale","loc-key":"GREETING"},"x-custom":true,"sound":"a","mutable-content":1},"z":[1]}"#
    );
}

#[test]
fn a_string_alert_stays_a_string_while_only_the_body_changes() {
    let mut map = root(r#"{"aps":{"alert":"Hi","badge":1}}"#);
    assert_eq!(type_into(&mut map, "Body", "Hello"), Ok(true));
    assert_eq!(json(&map), r#"{"aps":{"alert":"Hello","badge":1}}"#);
    assert_eq!(type_into(&mut map, "Body", ""), Ok(true));
    assert_eq!(json(&map), r#"{"aps":{"badge":1}}"#);
}

#[test]
fn emptying_a_field_removes_its_key() {
    let mut map = root(r#"{"aps":{"sound":"default","badge":3,"alert":{"title":"T"}}}"#);
    for label in ["Sound", "Badge", "Title"] {
        assert_eq!(type_into(&mut map, label, " "), Ok(true), "{label}");
    }
    assert_eq!(json(&map), r#"{"aps":{}}"#);
    let mut map = root(r#"{"id":1}"#);
    assert_eq!(type_into(&mut map, "Title", ""), Ok(false));
    assert_eq!(json(&map), r#"{"id":1}"#, "no aps made for nothing");
}

#[test]
fn each_typed_kind_writes_json_and_reads_back() {
    for (label, typed, written, read) in [
        (
            "launch-image",
            "Splash.png",
            r#""Splash.png""#,
            "Splash.png",
        ),
        ("Badge", " 12 ", "12", "12"),
        ("timestamp", "1767225600", "1767225600", "1767225600"),
        ("relevance-score", "0.25", "0.25", "0.25"),
        ("relevance-score", "1", "1.0", "1.0"),
        (
            "loc-args",
            "Ann, 3 ,, Bo",
            r#"["Ann","3","Bo"]"#,
            "Ann, 3, Bo",
        ),
        (
            "content-state",
            "{ \"score\": [1, 2] }",
            r#"{"score":[1,2]}"#,
            r#"{"score":[1,2]}"#,
        ),
    ] {
        let mut map = root(r#"{"aps":{}}"#);
        assert_eq!(type_into(&mut map, label, typed), Ok(true), "{label}");
        let value = field(label).get(&map).map(ToString::to_string);
        assert_eq!(value.as_deref(), Some(written), "{label}");
        assert_eq!(shown(&map, label), read, "{label} read back");
    }
}

#[test]
fn a_bad_number_keeps_the_old_value_and_says_why() {
    let before = r#"{"aps":{"badge":2,"relevance-score":0.5,"timestamp":10}}"#;
    let mut map = root(before);
    for (label, typed, why) in [
        (
            "relevance-score",
            "high",
            "relevance-score takes a number from 0 to 1",
        ),
        (
            "relevance-score",
            "2",
            "relevance-score takes a number from 0 to 1",
        ),
        ("Badge", "-1", "Badge takes a whole number, 0 or more"),
        (
            "timestamp",
            "soon",
            "timestamp takes UNIX seconds, a whole number",
        ),
        (
            "stale-date",
            "1.5",
            "stale-date takes UNIX seconds, a whole number",
        ),
    ] {
        assert_eq!(type_into(&mut map, label, typed), Err(why.to_owned()));
    }
    assert_eq!(json(&map), before);
}

#[test]
fn critical_sound_toggles_between_string_and_dictionary() {
    let mut map = root(r#"{"aps":{"sound":"ping.aiff","badge":1}}"#);
    check(&mut map, "critical sound", true);
    assert_eq!(
        json(&map),
        r#"{"aps":{"sound":{"critical":1,"name":"ping.aiff","volume":1.0},"badge":1}}"#
    );
    assert_eq!(type_into(&mut map, "sound volume", "0.3"), Ok(true));
    assert_eq!(type_into(&mut map, "Sound", "siren.aiff"), Ok(true));
    assert_eq!(
        json(&map),
        r#"{"aps":{"sound":{"critical":1,"name":"siren.aiff","volume":0.3},"badge":1}}"#
    );
    assert_eq!(
        type_into(&mut map, "sound volume", "loud"),
        Err("sound volume takes a number from 0 to 1".to_owned())
    );
    check(&mut map, "critical sound", false);
    assert_eq!(json(&map), r#"{"aps":{"sound":"siren.aiff","badge":1}}"#);
    assert_eq!(
        type_into(&mut map, "sound volume", "0.5"),
        Ok(false),
        "no volume without a critical sound"
    );
    // With no sound named, a critical alert plays the default one.
    let mut map = root(r#"{"aps":{}}"#);
    check(&mut map, "critical sound", true);
    assert_eq!(
        json(&map),
        r#"{"aps":{"sound":{"critical":1,"name":"default","volume":1.0}}}"#
    );
}

#[test]
fn a_dictionary_sound_fills_name_critical_and_volume() {
    let mut map = root(r#"{"aps":{"sound":{"critical":1,"name":"a.caf","volume":0.4}}}"#);
    assert_eq!(shown(&map, "Sound"), "a.caf");
    assert_eq!(shown(&map, "sound volume"), "0.4");
    assert!(is_checked(&map, "critical sound"));
    // Emptying the name of a critical sound falls back to the default sound.
    assert_eq!(type_into(&mut map, "Sound", ""), Ok(true));
    assert_eq!(
        json(&map),
        r#"{"aps":{"sound":{"critical":1,"name":"default","volume":0.4}}}"#
    );
}

#[test]
fn live_activity_json_is_written_only_when_it_is_an_object() {
    let before = r#"{"aps":{"event":"update","content-state":{"score":1}}}"#;
    let mut map = root(before);
    let why = type_into(&mut map, "content-state", r#"{"score": 2"#).unwrap_err();
    assert!(
        why.starts_with("content-state takes a JSON object: EOF"),
        "{why}"
    );
    let why = type_into(&mut map, "attributes", "[1]").unwrap_err();
    assert!(
        why.starts_with("attributes takes a JSON object: invalid type"),
        "{why}"
    );
    assert_eq!(json(&map), before);
    assert_eq!(
        type_into(&mut map, "content-state", r#"{"score": 2}"#),
        Ok(true)
    );
    assert_eq!(
        json(&map),
        r#"{"aps":{"event":"update","content-state":{"score":2}}}"#
    );
}

#[test]
fn checkboxes_and_choices_write_their_values_or_remove_the_key() {
    let mut map = root(r#"{"aps":{"interruption-level":"passive"}}"#);
    check(&mut map, "input-push-token", true);
    field("interruption-level").set(&mut map, choice_value(NO_CHOICE.into()));
    field("event").set(&mut map, choice_value("end".into()));
    assert_eq!(
        json(&map),
        r#"{"aps":{"input-push-token":1,"event":"end"}}"#
    );
    assert!(is_checked(&map, "input-push-token"));
    check(&mut map, "input-push-token", false);
    assert_eq!(json(&map), r#"{"aps":{"event":"end"}}"#);
}

#[test]
fn a_plain_sound_does_not_open_the_delivery_section() {
    let map = root(r#"{"aps":{"sound":"default"}}"#);
    assert!(field("Sound").shows_a_value(&map));
    assert!(!field("critical sound").shows_a_value(&map));
    assert!(!field("sound volume").shows_a_value(&map));
    let map = root(r#"{"aps":{"sound":{"critical":1,"name":"default"}}}"#);
    assert!(field("critical sound").shows_a_value(&map));
}
