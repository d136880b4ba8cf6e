//! The error-code lists of the bindings and the docs, generated from the one table in the core
//! (`core/src/error/codes.rs`, `ErrorCode::ALL`) and committed. This test renders each list and
//! fails when the committed file differs; `KAVACH_BLESS=1 cargo test -p kavach-core --test
//! generated_lists` writes them.
//!
//! A new code is a new row in the table; the bless run updates every list below, and
//! `ffi/scripts/gen-header.sh` then carries the C values into `include/kavach.h`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kavach_core::{ErrorCode, ErrorFamily};

const GENERATED: &str = "Generated from core/src/error/codes.rs by core/tests/generated_lists.rs; do not edit.";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Compares (or, under `KAVACH_BLESS=1`, writes) one generated file, or the part of it between
/// the two marker lines.
fn check(path: &str, rendered: &str, markers: Option<(&str, &str)>) {
    let file = repo().join(path);
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    let expected = match markers {
        None => rendered.to_owned(),
        Some((begin, end)) => {
            let (Some(start), Some(stop)) = (current.find(begin), current.find(end)) else {
                panic!("{path} lacks the lines {begin:?} and {end:?} around its generated part");
            };
            format!("{}{begin}\n{rendered}{}", &current[..start], &current[stop..])
        }
    };
    if current == expected {
        return;
    }
    if std::env::var_os("KAVACH_BLESS").is_some() {
        std::fs::write(&file, &expected).unwrap();
        return;
    }
    panic!(
        "{path} is not what the core's error table generates: run \
         `KAVACH_BLESS=1 cargo test -p kavach-core --test generated_lists` and commit it"
    );
}

/// `UNAUTHORIZED` -> `Unauthorized`, `INVALID_UTF8` -> `InvalidUTF8` (Go initialisms).
fn go_name(code: ErrorCode) -> String {
    code.as_str()
        .split('_')
        .map(|word| match word {
            "UTF8" => "UTF8".to_owned(),
            _ => word[..1].to_owned() + &word[1..].to_lowercase(),
        })
        .collect()
}

/// Plain text for comments: no Markdown backticks.
fn plain(code: ErrorCode) -> String {
    code.description().replace('`', "")
}

/// Words wrapped at `width`, each line prefixed.
fn wrapped(text: &str, prefix: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && prefix.len() + line.len() + 1 + word.len() > width {
            writeln!(out, "{prefix}{line}").unwrap();
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        writeln!(out, "{prefix}{line}").unwrap();
    }
    out
}

#[test]
fn go_codes() {
    let mut out = String::from(
        "// Code generated from core/src/error/codes.rs by core/tests/generated_lists.rs. \
         DO NOT EDIT.\n\npackage kavach\n\n// The stable error codes (docs/errors.md). Branch on \
         Error.Code; codes are never renamed or reused.\nconst (\n",
    );
    for (i, &code) in ErrorCode::ALL.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let text = format!("Code{} ({}): {}", go_name(code), code.status(), plain(code));
        out += &wrapped(&text, "\t// ", 100);
        writeln!(out, "\tCode{} = \"{}\"", go_name(code), code.as_str()).unwrap();
    }
    out += ")\n\n// Codes lists every stable code, in the core's order.\nvar Codes = []string{\n";
    for &code in ErrorCode::ALL {
        writeln!(out, "\tCode{},", go_name(code)).unwrap();
    }
    out += "}\n";
    check("bindings/go/codes_gen.go", &out, None);
}

#[test]
fn python_codes() {
    let mut out = format!(
        "# {GENERATED}\n\"\"\"The stable error codes, their default HTTP status and family.\"\"\"\n\nfrom typing import Literal\n\nErrorCode = Literal[\n"
    );
    for &code in ErrorCode::ALL {
        writeln!(out, "    \"{}\",", code.as_str()).unwrap();
    }
    out += "]\n\"\"\"Every stable code, in the core's order. Codes are never renamed or reused.\"\"\"\n\nSTATUS: dict[str, int] = {\n";
    for &code in ErrorCode::ALL {
        writeln!(out, "    \"{}\": {},", code.as_str(), code.status()).unwrap();
    }
    out += "}\n\"\"\"Each code's default HTTP status.\"\"\"\n\nFAMILY: dict[str, Literal[\"request\", \"caller\", \"internal\"]] = {\n";
    for &code in ErrorCode::ALL {
        writeln!(out, "    \"{}\": \"{}\",", code.as_str(), code.family().as_str()).unwrap();
    }
    out += "}\n\"\"\"Who each code is about: the client's request, the host's own call or configuration, or\nnobody (an internal failure).\"\"\"\n";
    check("bindings/python/python/kavach_passkeys/_codes.py", &out, None);
}

#[test]
fn typescript_codes() {
    let mut out = format!(
        "// {GENERATED}\n\n/** Every stable code, in the core's order. Codes are never renamed or reused. */\nexport type ErrorCode =\n"
    );
    for (i, &code) in ErrorCode::ALL.iter().enumerate() {
        let text = format!("{}: {}", code.status(), plain(code));
        if text.len() + 9 <= 100 {
            writeln!(out, "  /** {text} */").unwrap();
        } else {
            out += &format!("  /**\n{}   */\n", wrapped(&text, "   * ", 100));
        }
        let end = if i + 1 == ErrorCode::ALL.len() { ";" } else { "" };
        writeln!(out, "  | '{}'{end}", code.as_str()).unwrap();
    }
    out += "\n/** Who a code is about: the client's request, the host's own call or configuration, or nobody. */\nexport type ErrorFamily = 'request' | 'caller' | 'internal';\n";
    check("bindings/node/lib/error-codes.d.cts", &out, None);
}

#[test]
fn c_result_values() {
    let mut out = format!(
        "//! `kavach_result`'s values. {GENERATED}\n\n/// The outcome of a call. Functions return it as a `uint32_t` (`kavach_result`); compare it with\n/// these constants, and turn it into text with `kavach_result_name` / `kavach_result_status`.\n/// The call's detail (a message safe to show) is in the error JSON the function wrote.\n///\n/// `0` is success, `1xx` are the core's codes, `2xx` failures of the C call itself. A value\n/// never moves; a retired one stays reserved.\n#[allow(non_camel_case_types)]\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n#[repr(u32)]\npub enum kavach_result {{\n    /// Success.\n    KAVACH_OK = 0,\n"
    );
    for &code in ErrorCode::ALL {
        // The text lands in a C block comment of include/kavach.h.
        assert!(!code.description().contains("/*") && !code.description().contains("*/"), "{code}: no /* or */");
        out += &wrapped(&format!("`{}` ({}): {}", code.as_str(), code.status(), code.description()), "    /// ", 100);
        writeln!(out, "    KAVACH_{} = {},", code.as_str(), code.number()).unwrap();
    }
    writeln!(out, "}}\n\n/// Every result, in value order.\npub(crate) const ALL_RESULTS: [kavach_result; {}] = [\n    kavach_result::KAVACH_OK,", ErrorCode::ALL.len() + 1).unwrap();
    for &code in ErrorCode::ALL {
        writeln!(out, "    kavach_result::KAVACH_{},", code.as_str()).unwrap();
    }
    writeln!(out, "];\n\n/// The names as C strings, in the order of [`ALL_RESULTS`].\npub(crate) const NAMES_C: [&std::ffi::CStr; {}] = [\n    c\"OK\",", ErrorCode::ALL.len() + 1).unwrap();
    for &code in ErrorCode::ALL {
        writeln!(out, "    c\"{}\",", code.as_str()).unwrap();
    }
    out += "];\n";
    check("ffi/src/result/values.rs", &out, None);
}

#[test]
fn docs_table() {
    let mut out = String::from("| code | status | family | C value | when |\n|---|---|---|---|---|\n");
    for &code in ErrorCode::ALL {
        let status = match code {
            ErrorCode::VerificationFailed => "400, 401 on sign-in".to_owned(),
            other => other.status().to_string(),
        };
        writeln!(
            out,
            "| `{}` | {status} | {} | {} | {} |",
            code.as_str(),
            code.family().as_str(),
            code.number(),
            code.description()
        )
        .unwrap();
    }
    check("docs/errors.md", &out, Some(("<!-- generated: error codes -->", "<!-- end of generated error codes -->")));
}

#[test]
fn families_are_what_the_statuses_say() {
    for &code in ErrorCode::ALL {
        match code.family() {
            ErrorFamily::Request => assert!((400..500).contains(&code.status()), "{code}"),
            ErrorFamily::Caller | ErrorFamily::Internal => {}
        }
        assert_eq!(code.number() >= 200, code.description().starts_with("C ABI and Go only"), "{code}");
    }
}
