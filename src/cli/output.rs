//! Everything the CLI writes to the terminal goes through here.
#![allow(clippy::print_stdout)]

use crate::apns::Http2Request;

/// A warning on stderr, prefixed so scripts can tell it from output.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// An error on stderr, one line.
pub fn error(message: &str) {
    eprintln!("error: {message}");
}

/// Bytes as lowercase hex on one line.
pub fn hex_line(bytes: &[u8]) {
    let mut line = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        line.push_str(&format!("{byte:02x}"));
    }
    println!("{line}");
}

/// An HTTP/2 request as a person reads it: request line, headers, blank line, body.
pub fn http2_request(request: &Http2Request) {
    println!("{} {}", request.method, request.path);
    for (name, value) in &request.headers {
        println!("{name}: {value}");
    }
    println!();
    println!("{}", String::from_utf8_lossy(&request.body));
}
