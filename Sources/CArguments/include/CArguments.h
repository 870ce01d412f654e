// CArguments has nothing to import: it only replaces the Swift standard library's start-up lookup of the command
// line (see arguments.c). The wincni executable depends on it so that its object is linked.
