import ArgumentParser

@main
struct Matte: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matte",
        abstract: "A virtual camera with the background replaced.",
        subcommands: [MaskCommand.self, BenchCommand.self]
    )
}
