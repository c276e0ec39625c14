"""Practice mode (issue 15): a mock second interview in the chat, with feedback on each typed answer."""
