fn main() -> std::process::ExitCode {
    // glibc gives each thread that allocates a heap arena of its own; warroom's threads
    // mostly wait, and two arenas hold what they allocate in less resident memory.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    warroom::cli::main()
}
