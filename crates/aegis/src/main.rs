//! The `aegis` command-line tool.

fn main() {
    println!("aegis: under construction");
}
