import Testing

@testable import MatteMedia

/// libavfilter is opened at run time, by name: the name built from its headers must open, with every
/// function Matte calls, and a library that is not there must say so rather than trap.
@Suite struct FilterLibraryTests {
    @Test func theLibraryMatteWasBuiltAgainstOpens() throws {
        switch FilterLibrary.shared {
        case let .success(library): #expect(library.filterNamed("bwdif") != nil)
        case let .failure(problem): Issue.record("\(problem)")
        }
    }

    @Test func aMissingLibraryIsAnAnswerNotATrap() {
        guard case let .failure(problem) = FilterLibrary.open("libmatte-no-such-library.so.0") else {
            Issue.record("a library that does not exist opened")
            return
        }
        #expect(problem.description.contains("libmatte-no-such-library.so.0"))
    }
}
