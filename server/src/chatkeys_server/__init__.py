"""Reference server of the Komandor chats API."""
