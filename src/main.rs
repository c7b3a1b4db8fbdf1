fn main() -> std::process::ExitCode {
    posture::cli::main()
}
