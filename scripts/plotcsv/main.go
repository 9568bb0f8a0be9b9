// plotcsv: draws a column of a CSV over time as a PNG, for scripts/soak.sh
// (python3's matplotlib is not always there). The first column is seconds,
// -col names the column drawn; the picture has no text: grid lines every
// -xgrid seconds and every -ygrid units from 0, and the caller says the
// scales in words.
package main

import (
	"encoding/csv"
	"flag"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"strconv"
)

func main() {
	in := flag.String("in", "", "the CSV file (a header row, then seconds,...)")
	out := flag.String("out", "plot.png", "the PNG to write")
	col := flag.String("col", "rss_mib", "the column to draw")
	xgrid := flag.Float64("xgrid", 60, "seconds between vertical grid lines")
	ygrid := flag.Float64("ygrid", 10, "units between horizontal grid lines")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 3 {
		log.Fatalf("%s: %v (want a header and two rows at least)", *in, err)
	}
	c := -1
	for i, h := range rows[0] {
		if h == *col {
			c = i
		}
	}
	if c < 0 {
		log.Fatalf("%s: no column %q in %v", *in, *col, rows[0])
	}
	var xs, ys []float64
	var xmax, ymax float64
	for _, r := range rows[1:] {
		x, err1 := strconv.ParseFloat(r[0], 64)
		y, err2 := strconv.ParseFloat(r[c], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		xs, ys = append(xs, x), append(ys, y)
		xmax, ymax = max(xmax, x), max(ymax, y)
	}
	const w, h, pad = 800, 300, 10
	ymax *= 1.2
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	px := func(x float64) int { return pad + int(x/xmax*float64(w-2*pad)) }
	py := func(y float64) int { return h - pad - int(y/ymax*float64(h-2*pad)) }
	grey := color.RGBA{220, 220, 220, 255}
	for x := 0.0; x <= xmax; x += *xgrid {
		for y := pad; y < h-pad; y++ {
			img.Set(px(x), y, grey)
		}
	}
	for v := 0.0; v <= ymax; v += *ygrid {
		for x := pad; x < w-pad; x++ {
			img.Set(x, py(v), grey)
		}
	}
	blue := color.RGBA{30, 90, 200, 255}
	for i := 1; i < len(xs); i++ {
		line(img, px(xs[i-1]), py(ys[i-1]), px(xs[i]), py(ys[i]), blue)
	}
	o, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(o, img); err != nil {
		log.Fatal(err)
	}
	if err := o.Close(); err != nil {
		log.Fatal(err)
	}
}

// line draws a 2-pixel line from (x0,y0) to (x1,y1).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		x, y := x0+(x1-x0)*i/n, y0+(y1-y0)*i/n
		img.Set(x, y, c)
		img.Set(x, y+1, c)
	}
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}
