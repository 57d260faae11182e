//! `push-console build` run as a user runs it: the real binary, its stdout, stderr and exit code.

use std::process::{Command, Output};

const TOKEN: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

fn build(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_push-console"))
        .arg("build")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

#[test]
fn frame_bytes_match_the_hand_derived_vector() {
    let output = build(&[
        "--protocol",
        "legacy",
        "--format",
        "frame",
        "--token",
        TOKEN,
        "--payload",
        r#"{"aps":{"alert":"Hi"}}"#,
        "--identifier",
        "16909060",
        "--expiration",
        "1600000000",
        "--priority",
        "5",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Derived by hand from PROTOCOL.md, not from the encoder:
    //   02                  command 2 (frame)
    //   0000004e            frame length 78 = (3+32) + (3+22) + (3+4) + (3+4) + (3+1)
    //   01 0020 <token>     item 1, 32-byte token
    //   02 0016 <payload>   item 2, 22 bytes of {"aps":{"alert":"Hi"}}
    //   03 0004 01020304    item 3, identifier 16909060
    //   04 0004 5f5e1000    item 4, expiry 1600000000
    //   05 0001 05          item 5, priority 5
    let expected = concat!(
        "02",
        "0000004e",
        "010020",
        "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad",
        "020016",
        "7b22617073223a7b22616c657274223a224869227d7d",
        "03000401020304",
        "0400045f5e1000",
        "05000105",
        "\n"
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn simple_and_enhanced_bytes() {
    let simple = build(&[
        "--protocol",
        "legacy",
        "--format",
        "simple",
        "--token",
        "abcd",
        "--payload",
        "{}",
    ]);
    assert_eq!(stdout(&simple), "000002abcd00027b7d\n");
    let enhanced = build(&[
        "--protocol",
        "legacy",
        "--format",
        "enhanced",
        "--token",
        "abcd",
        "--payload",
        "{}",
        "--identifier",
        "1",
        "--expiration",
        "0",
    ]);
    assert_eq!(
        stdout(&enhanced),
        "01000000010000000000".to_owned() + "02abcd00027b7d\n"
    );
}

#[test]
fn http2_request_lists_method_path_headers_and_body() {
    let output = build(&[
        "--token",
        &format!("<{}>", TOKEN.to_uppercase()),
        "--topic",
        "com.example.app",
        "--title",
        "Hello",
        "--body",
        "World",
        "--badge",
        "0",
        "--sound",
        "default",
        "--custom",
        r#"order={"id":7}"#,
        "--priority",
        "10",
        "--expiration",
        "0",
        "--collapse-id",
        "news",
        "--apns-id",
        "123E4567-E89B-12D3-A456-426614174000",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let expected = format!(
        "POST /3/device/{TOKEN}\n\
         apns-id: 123e4567-e89b-12d3-a456-426614174000\n\
         apns-push-type: alert\n\
         apns-topic: com.example.app\n\
         apns-priority: 10\n\
         apns-expiration: 0\n\
         apns-collapse-id: news\n\
         \n\
         {{\"aps\":{{\"alert\":{{\"title\":\"Hello\",\"body\":\"World\"}},\"badge\":0,\"sound\":\"default\"}},\"order\":{{\"id\":7}}}}\n"
    );
    assert_eq!(stdout(&output), expected);
    assert_eq!(stderr(&output), "");
}

#[test]
fn bad_input_exits_2_with_one_clear_line() {
    let oversized = format!(r#"{{"aps":{{"alert":"{}"}}}}"#, "x".repeat(4200));
    let long_collapse_id = "c".repeat(65);
    let long_alert = "y".repeat(300);
    let cases: [(Vec<&str>, &str); 6] = [
        (
            vec!["--token", TOKEN, "--payload", &oversized],
            "error: payload is 4,220 bytes; the limit for alert over HTTP/2 is 4,096\n",
        ),
        (
            vec!["--token", "ab cx", "--alert", "x"],
            "error: the device token has 'x' at position 5; a token is hex digits (0-9, a-f), optionally with spaces or <>\n",
        ),
        (
            vec!["--token", TOKEN, "--payload", "{\"aps\":"],
            "error: the payload is not valid JSON: EOF while parsing a value at line 1, column 7\n",
        ),
        (
            vec!["--token", TOKEN, "--alert", "x", "--priority", "7"],
            "error: the priority \"7\" is not one APNs accepts; use 10 (immediate), 5 (normal) or 1 (low)\n",
        ),
        (
            vec![
                "--token",
                TOKEN,
                "--alert",
                "x",
                "--collapse-id",
                &long_collapse_id,
            ],
            "error: the collapse id is 65 bytes; APNs accepts at most 64\n",
        ),
        (
            vec![
                "--token",
                TOKEN,
                "--protocol",
                "legacy",
                "--format",
                "simple",
                "--alert",
                &long_alert,
            ],
            "error: payload is 320 bytes; the limit for the legacy simple format is 256\n",
        ),
    ];
    for (args, message) in cases {
        let output = build(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&output), message);
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn lints_are_warnings_on_stderr() {
    let output = build(&[
        "--token",
        TOKEN,
        "--push-type",
        "voip",
        "--topic",
        "com.example.app",
        "--payload",
        r#"{"aps":{}}"#,
    ]);
    assert!(output.status.success());
    assert_eq!(
        stderr(&output),
        "warning: the topic com.example.app does not suit a voip push; APNs expects com.example.app.voip\n"
    );
}

#[test]
fn an_endless_payload_file_is_refused_with_its_limit_not_read_to_the_end() {
    // /dev/zero never ends: the read stops at the payload limit and says so.
    let output = build(&["--token", TOKEN, "--payload-file", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(
            "/dev/zero is larger than 1,048,576 bytes, too large for a payload or .apns file"
        ),
        "{message}"
    );
}
