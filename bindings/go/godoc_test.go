package ocireg

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"
)

// TestEveryExportedIdentifierIsDocumented keeps `go doc -all` complete:
// the package, every exported constant, variable, type, function and
// method, and every exported field of an exported struct has a doc comment
// (a group's comment covers its constants and variables).
func TestEveryExportedIdentifierIsDocumented(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(info fs.FileInfo) bool {
		return !strings.HasSuffix(info.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	pkg, ok := pkgs["ocireg"]
	if !ok {
		t.Fatalf("no package ocireg in %v", pkgs)
	}
	d := doc.New(pkg, "github.com/ocireg/ocireg/bindings/go", 0)
	var missing []string
	if strings.TrimSpace(d.Doc) == "" {
		missing = append(missing, "package ocireg")
	}
	values := func(kind string, vs []*doc.Value) {
		for _, v := range vs {
			if strings.TrimSpace(v.Doc) != "" {
				continue
			}
			for _, spec := range v.Decl.Specs {
				vspec := spec.(*ast.ValueSpec)
				documented := vspec.Doc != nil || vspec.Comment != nil
				for _, name := range vspec.Names {
					if name.IsExported() && !documented {
						missing = append(missing, kind+" "+name.Name)
					}
				}
			}
		}
	}
	funcs := func(prefix string, fs []*doc.Func) {
		for _, f := range fs {
			if strings.TrimSpace(f.Doc) == "" {
				missing = append(missing, "func "+prefix+f.Name)
			}
		}
	}
	values("const", d.Consts)
	values("var", d.Vars)
	funcs("", d.Funcs)
	for _, typ := range d.Types {
		if strings.TrimSpace(typ.Doc) == "" {
			missing = append(missing, "type "+typ.Name)
		}
		values("const", typ.Consts)
		values("var", typ.Vars)
		funcs("", typ.Funcs)
		funcs(typ.Name+".", typ.Methods)
		for _, spec := range typ.Decl.Specs {
			st, ok := spec.(*ast.TypeSpec).Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, field := range st.Fields.List {
				if field.Doc != nil || field.Comment != nil {
					continue
				}
				for _, name := range field.Names {
					if name.IsExported() {
						missing = append(missing, "field "+typ.Name+"."+name.Name)
					}
				}
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("undocumented in `go doc -all`:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(d.Types) < 10 || len(d.Funcs) < 1 {
		t.Errorf("the package parsed to %d types and %d functions: not the whole package", len(d.Types), len(d.Funcs))
	}
}
