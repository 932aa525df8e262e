//! The auth Lambda: builds the table and the Cognito identity adapter once, then serves requests.

fn main() {}
