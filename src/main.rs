//! The `posture` command: everything it does lives in the library's `cli` module.

// An inventory is millions of small JSON nodes: glibc's malloc spent a third of an offline
// scan of 100k resources allocating and freeing them, and mimalloc does the same work faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    posture::cli::main()
}
