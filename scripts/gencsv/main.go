// Command gencsv writes a users file of n rows for benchmarks:
// go run ./scripts/gencsv -rows 1000000 > users.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	rows := flag.Int("rows", 100000, "data rows")
	passwords := flag.Bool("passwords", false, "give every row its own password")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprint(w, "name,password,email,admin,apiAccess,disabled,profile\r\n")
	for i := range *rows {
		pw := ""
		if *passwords {
			pw = fmt.Sprintf("pw-%07d-horse", i)
		}
		fmt.Fprintf(w, "user%07d,%s,user%07d@example%d.org,false,false,false,\r\n", i, pw, i, i%7)
	}
}
