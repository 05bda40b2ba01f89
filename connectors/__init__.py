"""Drop zones (local folder, SFTP) and the database."""
