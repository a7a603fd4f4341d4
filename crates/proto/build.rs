// Compiles proto/poc.proto with protox (a protobuf compiler in Rust), so building needs no
// `protoc` on the machine.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/poc.proto");
    let descriptors = protox::compile(["poc.proto"], ["proto"])?;
    tonic_build::configure().build_server(true).build_client(true).compile_fds(descriptors)?;
    Ok(())
}
