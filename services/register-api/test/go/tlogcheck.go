// tlogcheck verifies a Tizilim register's transparency log with Go's reference implementation
// (golang.org/x/mod/sumdb/note and sumdb/tlog, as Debian packages them):
//
//	tlogcheck <register base URL> <old checkpoint file>
//
// It opens the latest checkpoint with note.Open under the key from /tlog/key, reads hash tiles
// through tlog.TileHashReader (translating Go's tile paths, which carry the height, to C2SP's,
// which do not), recomputes the root with tlog.TreeHash, proves and checks records with
// tlog.ProveRecord/CheckRecord, checks the register's JSON inclusion proofs with CheckRecord,
// and checks consistency with the older checkpoint with tlog.ProveTree/CheckTree and with the
// register's JSON consistency proof. Any failure exits 1 with the reason.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var base string

func get(path string) []byte {
	resp, err := http.Get(base + path)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d %v", path, resp.StatusCode, err)
	}
	return body
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// openCheckpoint verifies the note and parses the C2SP checkpoint body itself: tlog.ParseTree
// accepts only the "go.sum database tree" origin.
func openCheckpoint(msg []byte, verifiers note.Verifiers, origin string) tlog.Tree {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		fail("note.Open: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != origin {
		fail("checkpoint origin %q is not %q", lines[0], origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root: %v", err)
	}
	var h tlog.Hash
	copy(h[:], root)
	return tlog.Tree{N: size, Hash: h}
}

type c2spTiles struct{}

func (c2spTiles) Height() int { return 8 }

func (c2spTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		// Go: tile/8/0/x001/234.p/5; C2SP: tile/0/x001/234.p/5
		path := "/tlog/" + strings.Replace(t.Path(), "tile/8/", "tile/", 1)
		out[i] = get(path)
	}
	return out, nil
}

func (c2spTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			fail("proof hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out
}

// entry returns record n's bytes from its entry bundle (big-endian uint16 length prefixes).
func entry(n int64, size int64) []byte {
	bundle := n / 256
	width := size - bundle*256
	path := "/tlog/" + strings.Replace(tlog.Tile{H: 8, L: 0, N: bundle, W: 256}.Path(), "tile/8/0/", "tile/entries/", 1)
	if width < 256 {
		path = "/tlog/" + strings.Replace(tlog.Tile{H: 8, L: 0, N: bundle, W: int(width)}.Path(), "tile/8/0/", "tile/entries/", 1)
	}
	data := get(path)
	for i := int64(0); ; i++ {
		if len(data) < 2 {
			fail("entry bundle %s truncated before entry %d", path, n)
		}
		l := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+l {
			fail("entry bundle %s truncated", path)
		}
		if i == n%256 {
			return data[2 : 2+l]
		}
		data = data[2+l:]
	}
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: tlogcheck <register base URL> <old checkpoint file>")
	}
	base = strings.TrimRight(os.Args[1], "/")
	key := strings.TrimSpace(string(get("/tlog/key")))
	verifier, err := note.NewVerifier(key)
	if err != nil {
		fail("note.NewVerifier(%q): %v", key, err)
	}
	verifiers := note.VerifierList(verifier)
	tree := openCheckpoint(get("/tlog/checkpoint"), verifiers, verifier.Name())
	oldMsg, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("old checkpoint: %v", err)
	}
	old := openCheckpoint(oldMsg, verifiers, verifier.Name())
	fmt.Printf("checkpoint verified: %s size %d, older size %d\n", verifier.Name(), tree.N, old.N)

	reader := tlog.TileHashReader(tree, c2spTiles{})
	root, err := tlog.TreeHash(tree.N, reader)
	if err != nil || root != tree.Hash {
		fail("tlog.TreeHash from tiles = %v, %v; checkpoint says %v", root, err, tree.Hash)
	}

	for _, n := range []int64{0, 1, tree.N / 3, tree.N / 2, tree.N - 2, tree.N - 1} {
		if n < 0 || n >= tree.N {
			continue
		}
		leaf := tlog.RecordHash(entry(n, tree.N))
		proof, err := tlog.ProveRecord(tree.N, n, reader)
		if err != nil {
			fail("tlog.ProveRecord(%d): %v", n, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, n, leaf); err != nil {
			fail("tlog.CheckRecord(%d) with the tiles' proof: %v", n, err)
		}
		var inc struct {
			LeafIndex int64    `json:"leafIndex"`
			TreeSize  int64    `json:"treeSize"`
			Hashes    []string `json:"hashes"`
		}
		if err := json.Unmarshal(get(fmt.Sprintf("/public/v1/log/%d/inclusion?treeSize=%d", n+1, tree.N)), &inc); err != nil {
			fail("inclusion JSON: %v", err)
		}
		if inc.LeafIndex != n || inc.TreeSize != tree.N {
			fail("inclusion JSON names leaf %d of %d", inc.LeafIndex, inc.TreeSize)
		}
		if err := tlog.CheckRecord(hashes(inc.Hashes), tree.N, tree.Hash, n, leaf); err != nil {
			fail("tlog.CheckRecord(%d) with the register's JSON proof: %v", n, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, n, tlog.RecordHash(append(entry(n, tree.N), ' '))); err == nil {
			fail("tlog.CheckRecord accepted an altered record %d", n)
		}
	}
	fmt.Println("inclusion verified: tlog.ProveRecord over tiles and the JSON proofs, tlog.CheckRecord")

	treeProof, err := tlog.ProveTree(tree.N, old.N, reader)
	if err != nil {
		fail("tlog.ProveTree(%d, %d): %v", tree.N, old.N, err)
	}
	if err := tlog.CheckTree(treeProof, tree.N, tree.Hash, old.N, old.Hash); err != nil {
		fail("tlog.CheckTree with the tiles' proof: %v", err)
	}
	var cons struct {
		Hashes []string `json:"hashes"`
	}
	if err := json.Unmarshal(get(fmt.Sprintf("/public/v1/log/consistency?from=%d&to=%d", old.N, tree.N)), &cons); err != nil {
		fail("consistency JSON: %v", err)
	}
	if err := tlog.CheckTree(hashes(cons.Hashes), tree.N, tree.Hash, old.N, old.Hash); err != nil {
		fail("tlog.CheckTree with the register's JSON proof: %v", err)
	}
	forged := old.Hash
	forged[0] ^= 1
	if err := tlog.CheckTree(treeProof, tree.N, tree.Hash, old.N, forged); err == nil {
		fail("tlog.CheckTree accepted a forged old root")
	}
	fmt.Println("consistency verified: tlog.ProveTree over tiles and the JSON proof, tlog.CheckTree")
	fmt.Println("OK")
}
