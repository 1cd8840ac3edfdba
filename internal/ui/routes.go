package ui

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// page is what a page template gets.
type page struct {
	Version string
	Title   string
	Nav     string
	CSRF    string
	Groups  []group
}

func (s *Server) routes() {
	static, _ := fs.Sub(assets, "assets/static")
	tmpl := template.Must(template.New("").Funcs(template.FuncMap{
		"pairs": pairs,
	}).ParseFS(assets, "assets/*.html"))
	render := func(name string, p page) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			p.CSRF, p.Version = s.csrf, s.opts.Version
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			if err := tmpl.ExecuteTemplate(w, name, p); err != nil {
				s.opts.Log.Error("ui: rendering a page", "page", name, "err", err)
			}
		}
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", render("mounts.html", page{Title: "Mounts", Nav: "mounts"}))
	s.mux.HandleFunc("GET /config", render("config.html", page{Title: "Mount a bucket or container", Nav: "config", Groups: formGroups()}))
	s.mux.HandleFunc("GET /api/mounts", s.apiMounts)
	s.mux.HandleFunc("GET /api/stats", s.apiStats)
	s.mux.HandleFunc("GET /api/log", s.apiLog)
	s.mux.HandleFunc("POST /api/unmount", s.apiUnmount)
	s.mux.HandleFunc("POST /api/open", s.apiOpen)
	s.mux.HandleFunc("POST /api/config/load", s.apiLoad)
	s.mux.HandleFunc("POST /api/config/test", s.apiTest)
	s.mux.HandleFunc("POST /api/config/save", s.apiSave)
	s.mux.HandleFunc("POST /api/config/mount", s.apiMount)
	s.mux.HandleFunc("POST /api/config/boot", s.apiBoot)
}

// choice is one option of a select.
type choice struct{ Value, Label string }

// pairs turns a field's value, label list into choices.
func pairs(list []string) []choice {
	var out []choice
	for i := 0; i+1 < len(list); i += 2 {
		out = append(out, choice{list[i], list[i+1]})
	}
	return out
}
