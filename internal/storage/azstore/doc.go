// Package azstore is the Azure Blob Storage backend: block blobs through the
// blob endpoint, and with Type "adls" atomic renames through the ADLS Gen2
// (dfs) endpoint of an account with a hierarchical namespace.
//
// How the Backend maps onto the service:
//
//   - Put sends one Put Blob up to 256 MiB and staged blocks (Put Block,
//     then Put Block List) above it. Conditions (If-Match, If-None-Match
//     "*") go on the request that makes the blob visible.
//   - Multipart uploads are staged blocks. Block IDs are a random prefix
//     per upload plus the part number, so two uploads to one blob never
//     take each other's blocks. Azure cannot delete staged blocks: Abort
//     only forgets them, and the service discards uncommitted blocks when
//     the blob is next committed or deleted, or after a week. Committing a
//     blob also drops the blocks other uploads staged for it, so of two
//     concurrent uploads to one blob the later Complete fails.
//   - Copy is Copy Blob, polled until done (a canceled Copy aborts the
//     server-side copy). A copy onto itself is Set Blob Metadata and, for
//     a new content type, Set Blob Properties: no data moves.
//   - Metadata names must be C# identifiers (letters, digits, "_"); other
//     names are refused with storage.ErrNotSupported. Names come back
//     lower-cased; the service compares them without regard to case.
//   - List asks for metadata (Caps.ListMetadata). StartAfter is applied on
//     our side, as the service has no parameter for it in every listing.
//
// Differences of the Azurite emulator we cover: a range starting exactly at
// the end of a blob is answered with an empty body instead of 416, so Get
// checks the offset against the size itself; Azurite has no dfs endpoint,
// so Type "adls" is tested against a fake that answers as the REST
// documentation says.
package azstore
