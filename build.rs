//! Rebuild when the bundled bank or the migrations change: both are embedded with `include_dir!`, which
//! cargo does not track by itself.
fn main() {
    println!("cargo:rerun-if-changed=content");
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=config/default.toml");
}
