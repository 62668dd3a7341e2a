//! The bindgen CLI, built from the same UniFFI version as the library (library mode).
fn main() {
    uniffi::uniffi_bindgen_main()
}
