"""Where goods are: dealers' PDA uploads of cases and pallets scanned in and out (出入库), and
who holds any code, through aggregation, with the sales regions its dealer is authorized for."""
